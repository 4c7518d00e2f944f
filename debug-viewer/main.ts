/**
 * The /debug page: a live, filterable list of a room's log entries. State lives in the row store
 * and the filter; this file only wires the DOM to them.
 */
import { LOG_LEVELS, type LogLevel } from '../packages/protocol/log-entry';
import type { Message } from '../packages/protocol/messages';
import { joinRoom, type RoomTarget } from './connection';
import { refusalNotice } from './refusal';
import { renderArgs, renderTable, stackBlock } from './render-value';
import { createNetworkView } from './network-view';
import { createBrowserSourceMaps } from './source-maps';
import { compileFilter, createRowStore, toNdjson, type Filter, type Row } from './state';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const list = $<HTMLElement>('list');
const form = $<HTMLFormElement>('connect');
const statusEl = $<HTMLElement>('status');
const textInput = $<HTMLInputElement>('text');
const regexBox = $<HTMLInputElement>('regex');
const sessionSelect = $<HTMLSelectElement>('session');
const countEl = $<HTMLElement>('count');
const resumeBtn = $<HTMLButtonElement>('resume');
$('boot').remove();

const store = createRowStore(5000);
const rowNodes = new Map<number, HTMLElement>();
const filter: Filter = { levels: new Set(LOG_LEVELS), text: '', regex: false, session: '', network: 'show' };
// The Network view (issue 17): its own table of the same rows; the console view keeps them too.
const netView = createNetworkView($<HTMLElement>('network'), (site) => sourceMaps.map(site));
const networkRows = $<HTMLSelectElement>('network-rows');
const vitalsEl = $<HTMLElement>('vitals');
/** The latest Core Web Vitals per session, for the strip in the filter bar. */
const vitals = new Map<string, Map<string, Row>>();
let matcher = compileFilter(filter);
let following = true;
let waiting = 0;
let leave: (() => void) | undefined;
let pending: Row[] = [];
let flushTimer: ReturnType<typeof setTimeout> | undefined;

function el(tag: string, cls?: string, text?: string): HTMLElement {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function time(ts: number): string {
  const d = new Date(ts);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** A stable colour per session, so one tab's lines can be told apart at a glance. */
function sessionColour(session: string): string {
  let h = 0;
  for (let i = 0; i < session.length; i++) h = (h * 31 + session.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360} 65% 50%)`;
}

function fileName(file: string): string {
  try {
    const u = new URL(file);
    return (u.pathname.split('/').pop() || u.host) + u.search;
  } catch {
    return file.split(/[\\/]/).pop() ?? file;
  }
}

/** A request as one console row: method, coloured status, URL, duration, size (the Network view has the details). */
function renderNetMessage(row: Row, msg: HTMLElement): void {
  const e = row.net!;
  const cls = e.failure ? 'failed' : (e.status ?? 0) >= 500 ? '5xx' : (e.status ?? 0) >= 400 ? '4xx' : (e.status ?? 0) >= 300 ? '3xx' : '2xx';
  const text = String(row.args[0]);
  const verb = text.slice(0, text.indexOf(' '));
  const state = e.event ? (e.code !== undefined ? `${e.event} ${e.code}` : e.event) : e.status ? String(e.status) : (e.failure ?? e.statusText ?? '-');
  const prefix = `${verb} ${state} `;
  const rest = text.startsWith(prefix) ? text.slice(prefix.length) : text.slice(verb.length + 1);
  msg.append(el('span', 'origin net-badge', 'net'), ' ', el('b', undefined, verb), ' ', el('span', `net-status st-${cls}`, state), ` ${rest}`);
}

/** A measurement as one row: metric, value and its rating chip. */
function renderPerfMessage(row: Row, msg: HTMLElement): void {
  const p = row.perf!;
  msg.append(el('span', 'origin', 'perf'), ' ', String(row.args[0]));
  if (p.rating) msg.append(' ', el('span', `rating r-${p.rating}`, p.rating));
}

function updateVitals(): void {
  const shown = filter.session ? [vitals.get(filter.session)] : [...vitals.values()].slice(-1);
  vitalsEl.replaceChildren();
  for (const [metric, row] of shown[0] ?? []) {
    const p = row.perf!;
    const chip = el('span', `vital r-${p.rating ?? 'none'}`, `${metric} ${metric === 'CLS' ? p.value : `${Math.round(p.value)} ms`}`);
    chip.title = `${String(row.args[0])}\nsession ${row.session}`;
    vitalsEl.append(chip);
  }
}

// Source maps: fetched only from origins the user allowed with a click (the entry's URLs are untrusted).
const sourceMaps = createBrowserSourceMaps((file) => {
  for (const row of store.rows) {
    if (row.callSite?.file !== file) continue;
    const site = rowNodes.get(row.id)?.querySelector<HTMLElement>('.site');
    if (site) fillSite(site, row);
  }
  netView.sitesChanged();
  fillStacks(document.body);
});

/**
 * Stacks (console.trace, Error values) through the same maps: shown as received first, each
 * frame at its original place once its script's map is in; never waited for.
 */
function fillStacks(root: ParentNode): void {
  for (const pre of root.querySelectorAll<HTMLElement>('pre[data-stack]')) {
    const text = pre.dataset.stack!;
    const mapped = sourceMaps.mapStack(text);
    pre.textContent = mapped ?? text;
    pre.classList.toggle('mapped', mapped !== undefined);
    pre.title = mapped ? 'through source maps (the stack as received is in the JSON view)' : '';
  }
}
// Error values build their stacks when first opened (render-value's own toggle listener, which
// runs after this capturing one and its microtasks): map them just after.
list.addEventListener('toggle', (ev) => setTimeout(() => fillStacks(ev.target as HTMLElement), 0), true);
const mapsAsk = $<HTMLElement>('maps-ask');
let askedOrigin = '';
$('maps-yes').addEventListener('click', () => {
  mapsAsk.hidden = true;
  if (askedOrigin) sourceMaps.allow(askedOrigin);
  for (const row of store.rows) {
    const site = row.callSite && rowNodes.get(row.id)?.querySelector<HTMLElement>('.site');
    if (site) fillSite(site, row);
  }
  netView.sitesChanged();
  fillStacks(document.body);
});
$('maps-no').addEventListener('click', () => {
  mapsAsk.hidden = true;
});

/** The call site cell: the original position when a source map gave one, the generated one otherwise. */
function fillSite(site: HTMLElement, row: Row): void {
  site.replaceChildren();
  if (!row.callSite) return;
  const generated = row.callSite;
  const mapped = sourceMaps.map(generated);
  const { file, line, col, fn } = mapped ?? generated;
  site.append(el('span', undefined, `${fileName(file)}:${line}:${col}`));
  site.title = `${fn ? `${fn} ` : ''}${file}:${line}:${col}${mapped ? `\n(generated: ${generated.file}:${generated.line}:${generated.col})` : ''}`;
  site.classList.toggle('mapped', mapped !== undefined);
  const origin = sourceMaps.originOf(generated.file);
  site.onclick = origin && !sourceMaps.isAllowed(origin)
    ? () => {
        askedOrigin = origin;
        $('maps-text').textContent = `Fetch source maps from ${origin} to show original call sites? Only scripts and maps of that origin are fetched, for this tab.`;
        mapsAsk.hidden = false;
      }
    : null;
}

function renderRow(row: Row): HTMLElement {
  const node = el('div', `row lvl-${row.level}`);
  node.dataset.level = row.level;
  node.dataset.method = row.method;
  if (row.net) {
    node.dataset.kind = 'network';
    node.dataset.status = String(row.net.status ?? 0);
  } else if (row.perf) node.dataset.kind = 'performance';
  const t = el('span', 'time', time(row.ts));
  t.title = new Date(row.ts).toISOString();
  const sess = el('span', 'sess');
  if (row.session) {
    const dot = el('i');
    dot.style.background = sessionColour(row.session);
    sess.append(dot, row.session);
    sess.title = [row.session, row.entry?.page?.url, row.entry?.page?.title, row.entry?.userAgent].filter(Boolean).join('\n');
  } else sess.textContent = row.message.source;
  const msg = el('div', 'msg');
  msg.style.setProperty('--depth', String(Math.min(row.group, 20)));
  if (row.origin !== 'browser') {
    msg.append(el('span', 'origin', row.origin === 'message' ? `${row.message.source} message` : `${row.origin} · ${row.message.source}`), ' ');
  }
  if (row.method === 'group' || row.method === 'groupCollapsed') msg.classList.add('group');
  const table = row.method === 'table' ? renderTable(row.args[0], row.args[1]) : undefined;
  if (row.net) renderNetMessage(row, msg);
  else if (row.perf) renderPerfMessage(row, msg);
  else msg.append(table ?? renderArgs(row.args));
  if (row.entry?.stack) {
    const d = el('details', 'v-obj');
    const pre = stackBlock(row.entry.stack);
    d.append(el('summary', 'v-muted', 'stack'), pre);
    fillStacks(d);
    msg.append(' ', d);
  }
  const site = el('span', 'site');
  fillSite(site, row);
  node.append(t, el('span', 'lvl', row.level), sess, msg, site);
  if (row.entry?.dropped) {
    node.prepend(el('div', 'dropped', `⚠ ${row.entry.dropped} earlier entr${row.entry.dropped === 1 ? 'y was' : 'ies were'} lost (the page's buffer was full)`));
  }
  return node;
}

function atBottom(): boolean {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 24;
}

function scrollToEnd(): void {
  list.scrollTop = list.scrollHeight;
}

function updateResume(): void {
  resumeBtn.hidden = following || waiting === 0;
  resumeBtn.textContent = `↓ ${waiting} new entr${waiting === 1 ? 'y' : 'ies'}`;
}

function updateCounts(): void {
  const shown = rowNodes.size;
  const total = store.rows.length;
  countEl.textContent = shown === total ? `${total} entries` : `${shown} of ${total} entries`;
  const counts: Record<string, number> = {};
  for (const r of store.rows) counts[r.level] = (counts[r.level] ?? 0) + 1;
  for (const level of LOG_LEVELS) {
    const n = document.querySelector(`#levels [data-n="${level}"]`);
    if (n) n.textContent = String(counts[level] ?? 0);
  }
  const known = new Set(Array.from(sessionSelect.options, (o) => o.value));
  for (const [session, n] of store.sessions) {
    if (!known.has(session)) {
      const opt = document.createElement('option');
      opt.value = session;
      opt.textContent = session;
      sessionSelect.append(opt);
    }
    const opt = Array.from(sessionSelect.options).find((o) => o.value === session);
    if (opt) opt.textContent = `${session} (${n})`;
  }
}

/**
 * Appends new rows in batches, however fast they arrive. A timer rather than
 * requestAnimationFrame: a background tab has no frames, and rows must not pile up there.
 */
function flushPending(): void {
  flushTimer = undefined;
  const evicted = store.takeEvicted();
  netView.remove(evicted);
  netView.add(pending.filter((r) => r.id >= (store.rows[0]?.id ?? Infinity)));
  for (const r of pending) {
    if (r.perf && ['LCP', 'CLS', 'INP'].includes(r.perf.metric)) {
      const per = vitals.get(r.session) ?? new Map<string, Row>();
      vitals.delete(r.session); // most recent session last
      vitals.set(r.session, per.set(r.perf.metric, r));
      if (vitals.size > 200) vitals.delete(vitals.keys().next().value as string);
    }
  }
  updateVitals();
  for (const gone of evicted) {
    rowNodes.get(gone.id)?.remove();
    rowNodes.delete(gone.id);
  }
  const oldest = store.rows[0]?.id ?? Infinity;
  const frag = document.createDocumentFragment();
  let added = 0;
  for (const row of pending) {
    // Rows that arrived and were already pushed out by newer ones are never drawn.
    if (row.id < oldest || !matcher.ok || !matcher.test(row)) continue;
    const node = renderRow(row);
    rowNodes.set(row.id, node);
    frag.append(node);
    added++;
  }
  pending = [];
  list.append(frag);
  if (following) scrollToEnd();
  else waiting += added;
  updateResume();
  updateCounts();
}

function addMessages(messages: Message[]): void {
  for (const m of messages) {
    const row = store.add(m);
    if (row) pending.push(row);
  }
  if (pending.length && flushTimer === undefined) flushTimer = setTimeout(flushPending, 30);
}

function rerender(): void {
  rowNodes.clear();
  list.replaceChildren();
  const frag = document.createDocumentFragment();
  if (matcher.ok) {
    for (const row of store.rows) {
      if (!matcher.test(row)) continue;
      const node = renderRow(row);
      rowNodes.set(row.id, node);
      frag.append(node);
    }
  }
  list.append(frag);
  following = true;
  waiting = 0;
  scrollToEnd();
  updateResume();
  updateCounts();
}

function applyFilter(): void {
  filter.text = textInput.value;
  filter.regex = regexBox.checked;
  filter.session = sessionSelect.value;
  filter.network = networkRows.value as Filter['network'];
  netView.setSession(filter.session);
  updateVitals();
  matcher = compileFilter(filter);
  textInput.classList.toggle('invalid', !matcher.ok);
  textInput.title = matcher.ok ? '' : `invalid regular expression: ${matcher.error}`;
  rerender();
}

function setStatus(state: 'connecting' | 'connected' | 'error', detail: string): void {
  statusEl.textContent = detail;
  statusEl.className = `status ${state === 'connected' ? 'ok' : state === 'error' ? 'bad' : ''}`;
}

/** Reads the target from the fragment (preferred: a sign there is never sent to a server log) or the query. */
function targetFromUrl(): Partial<RoomTarget> {
  const params = new URLSearchParams(location.hash.slice(1));
  const query = new URLSearchParams(location.search);
  const get = (k: string) => params.get(k) ?? query.get(k) ?? undefined;
  return {
    server: get('server'),
    source: get('source'),
    room: get('room') ?? get('room_ids'),
    sign: get('sign'),
    userid: get('userid'),
    username: get('username'),
    signType: get('sign_type'),
    ts: get('ts'),
    nonce: get('nonce'),
  };
}

/** Says which sign was refused and how to get a new link (im-debug open debug …). */
function showRefusal(t: RoomTarget, r: { code?: string; message: string }): void {
  const { status, notice } = refusalNotice(r, t);
  setStatus('error', status);
  const n = $<HTMLElement>('notice');
  n.textContent = notice;
  n.hidden = notice === '';
}

/** Origins this page may send a sign to: its own, and those the user confirmed here (never stored). */
const approvedOrigins = new Set<string>([location.origin]);

/** The origin of a server address, or undefined when it is not an http(s) URL. */
function serverOrigin(server: string): string | undefined {
  try {
    const url = new URL(server, location.href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Connects, but to a server other than this page's own origin (a `#server=…` link, or a typed
 * address) only after the user saw that origin and clicked to go there: the sign (given in the
 * link or typed next) is sent to whichever server this connects to.
 */
function connectAfterAsking(t: RoomTarget): void {
  askAboutServer(t.server, () => connect(t));
}

/** Runs `then` at once for an approved origin; otherwise shows the origin and runs it on the user's click. */
function askAboutServer(server: string, then?: () => void): void {
  const origin = serverOrigin(server);
  const box = $<HTMLElement>('foreign');
  if (origin === undefined) {
    setStatus('error', `not a server address: ${server}`);
    return;
  }
  if (approvedOrigins.has(origin)) {
    box.hidden = true;
    then?.();
    return;
  }
  const text = $<HTMLElement>('foreign-text');
  text.replaceChildren(
    'This page would send your sign to another server: ',
    el('strong', '', origin),
    ` (this page is ${location.origin}). Connect only if you trust it.`,
  );
  const yes = $<HTMLButtonElement>('foreign-yes');
  yes.textContent = `Connect to ${origin}`;
  yes.onclick = () => {
    approvedOrigins.add(origin);
    box.hidden = true;
    if (then) then();
    else setStatus('connecting', `not connected yet: enter the sign for ${origin} and press Connect`);
  };
  $<HTMLButtonElement>('foreign-no').onclick = () => {
    box.hidden = true;
    (form.elements.namedItem('server') as HTMLInputElement).value = '';
    setStatus('error', `not connected: ${origin} was not confirmed`);
  };
  box.hidden = false;
  setStatus('connecting', `waiting for you to confirm ${origin}`);
}

function connect(t: RoomTarget): void {
  leave?.();
  const hash = new URLSearchParams();
  if (t.server !== location.origin) hash.set('server', t.server);
  hash.set('source', t.source);
  hash.set('room', t.room);
  hash.set('sign', t.sign);
  // A strong (single-use) link keeps its fields, so a reload says why it is refused.
  if (t.signType) {
    for (const [k, v] of [['sign_type', t.signType], ['ts', t.ts], ['nonce', t.nonce], ['userid', t.userid], ['username', t.username]] as const) {
      if (v) hash.set(k, v);
    }
  }
  history.replaceState(null, '', `${location.pathname}#${hash.toString()}`);
  document.title = `${t.room} · remote debug`;
  $<HTMLElement>('notice').hidden = true;
  leave = joinRoom(t, { onMessages: addMessages, onStatus: setStatus, onRefused: (r) => showRefusal(t, r) });
}

// Level toggles, built from the one list of levels.
const levelsEl = $('levels');
for (const level of LOG_LEVELS) {
  const label = el('label');
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.checked = true;
  box.dataset.level = level;
  box.addEventListener('change', () => {
    const levels = new Set(filter.levels);
    if (box.checked) levels.add(level);
    else levels.delete(level);
    filter.levels = levels as ReadonlySet<LogLevel>;
    applyFilter();
  });
  const n = el('span', 'n', '0');
  n.dataset.n = level;
  label.append(box, ` ${level} `, n);
  levelsEl.append(label);
}

textInput.addEventListener('input', applyFilter);
regexBox.addEventListener('change', applyFilter);
sessionSelect.addEventListener('change', applyFilter);
networkRows.addEventListener('change', applyFilter);

// Console or Network view: the same rows, two ways to look at them.
const consoleTab = $<HTMLButtonElement>('view-console');
const networkTab = $<HTMLButtonElement>('view-network');
const showView = (network: boolean) => {
  list.hidden = network;
  $('network').hidden = !network;
  consoleTab.setAttribute('aria-pressed', String(!network));
  networkTab.setAttribute('aria-pressed', String(network));
  if (!network && following) scrollToEnd();
};
consoleTab.addEventListener('click', () => showView(false));
networkTab.addEventListener('click', () => showView(true));

list.addEventListener('scroll', () => {
  const bottom = atBottom();
  if (bottom && !following) {
    following = true;
    waiting = 0;
  } else if (!bottom && following) following = false;
  updateResume();
});
resumeBtn.addEventListener('click', () => {
  following = true;
  waiting = 0;
  scrollToEnd();
  updateResume();
});

$('clear').addEventListener('click', () => {
  store.clear();
  pending = [];
  netView.reset([]);
  vitals.clear();
  updateVitals();
  rerender();
});
$('export').addEventListener('click', () => {
  const blob = new Blob([toNdjson(store.rows.filter((r) => !matcher.ok || matcher.test(r)))], { type: 'application/x-ndjson' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `remote-debug-${new Date().toISOString().replace(/[:.]/g, '-')}.ndjson`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
});

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const data = new FormData(form);
  const value = (k: string) => String(data.get(k) ?? '').trim();
  connectAfterAsking({ server: value('server') || location.origin, source: value('source'), room: value('room'), sign: value('sign') });
});

const initial = targetFromUrl();
for (const k of ['server', 'source', 'room', 'sign'] as const) {
  const v = initial[k];
  const input = form.elements.namedItem(k) as HTMLInputElement | null;
  if (v && input) input.value = v;
}
if (initial.server && !initial.sign && serverOrigin(initial.server) !== location.origin) {
  // A link that pre-fills a foreign server and no sign: ask now, before a sign is typed.
  askAboutServer(initial.server);
} else if (initial.sign) {
  connectAfterAsking({
    server: initial.server || location.origin,
    source: initial.source || 'remote_debug',
    room: initial.room || 'console-log',
    sign: initial.sign,
    userid: initial.userid,
    username: initial.username,
    signType: initial.signType,
    ts: initial.ts,
    nonce: initial.nonce,
  });
}
updateCounts();
