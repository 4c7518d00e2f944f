/**
 * The /debug page (the bundle's entry): a live, filterable list of a room's log entries. State
 * lives in the row store and the filter; this file wires the page's parts to them and to the
 * connection: the console view (console-view.ts, rows drawn by row-view.ts), the Network view
 * (network-view.ts), the filter bar (filter-bar.ts, vitals-strip.ts), source-map consent
 * (maps-prompt.ts) and the connect form, with its link (page-link.ts) and the question before a
 * sign goes to another server (server-consent.ts).
 */
import { joinRoom, type RoomTarget } from './connection';
import { createConsoleView } from './console-view';
import { $, el } from './dom';
import { createFilterBar } from './filter-bar';
import { createMapsPrompt } from './maps-prompt';
import { createNetworkView } from './network-view';
import { targetFromUrl, writeTargetToUrl } from './page-link';
import { refusalNotice } from './refusal';
import { createRowView } from './row-view';
import { createServerConsent, serverOrigin } from './server-consent';
import { createBrowserSourceMaps } from './source-maps';
import { createRowStore, toNdjson, type Row } from './state';
import { createVitalsStrip } from './vitals-strip';

const list = $<HTMLElement>('list');
const form = $<HTMLFormElement>('connect');
const statusEl = $<HTMLElement>('status');
$('boot').remove();

const store = createRowStore(5000);
// The Network view (issue 17): its own table of the same rows; the console view keeps them too.
const netView = createNetworkView($<HTMLElement>('network'), (site) => sourceMaps.map(site));
const vitals = createVitalsStrip($<HTMLElement>('vitals'));
let leave: (() => void) | undefined;

// Source maps: fetched only from origins the user allowed with a click (the entry's URLs are untrusted).
const sourceMaps = createBrowserSourceMaps((file) => refreshSites((row) => row.callSite?.file === file));
const rowView = createRowView(
  sourceMaps,
  createMapsPrompt(sourceMaps, () => refreshSites(() => true)),
);

/** A source map came in, or an origin was allowed: call sites and stacks at their original places. */
function refreshSites(which: (row: Row) => boolean): void {
  for (const row of store.rows) {
    const site = row.callSite && which(row) && consoleView.node(row.id)?.querySelector<HTMLElement>('.site');
    if (site) rowView.fillSite(site, row);
  }
  netView.sitesChanged();
  rowView.fillStacks(document.body);
}
// Error values build their stacks when first opened (render-value's own toggle listener, which
// runs after this capturing one and its microtasks): map them just after.
list.addEventListener('toggle', (ev) => setTimeout(() => rowView.fillStacks(ev.target as HTMLElement), 0), true);

const filterBar = createFilterBar(() => {
  netView.setSession(filterBar.filter.session);
  vitals.show(filterBar.filter.session);
  consoleView.redraw();
});

const consoleView = createConsoleView({
  list,
  resume: $<HTMLButtonElement>('resume'),
  store,
  render: (row) => rowView.render(row),
  matcher: () => filterBar.matcher,
  onBatch(evicted, added) {
    netView.remove(evicted);
    netView.add(added.filter((r) => r.id >= (store.rows[0]?.id ?? Infinity)));
    vitals.record(added);
  },
  onDrawn: () => filterBar.showCounts(consoleView.shown, store),
});

function setStatus(state: 'connecting' | 'connected' | 'error', detail: string): void {
  statusEl.textContent = detail;
  statusEl.className = `status ${state === 'connected' ? 'ok' : state === 'error' ? 'bad' : ''}`;
}

/** Says which sign was refused and how to get a new link (im-debug open debug …). */
function showRefusal(t: RoomTarget, r: { code?: string; message: string }): void {
  const { status, notice } = refusalNotice(r, t);
  setStatus('error', status);
  const n = $<HTMLElement>('notice');
  n.textContent = notice;
  n.hidden = notice === '';
}

const askAboutServer = createServerConsent(setStatus, () => {
  (form.elements.namedItem('server') as HTMLInputElement).value = '';
});

/** Connects, but to a server other than this page's own origin only after the user confirmed it. */
function connectAfterAsking(t: RoomTarget): void {
  askAboutServer(t.server, () => connect(t));
}

function connect(t: RoomTarget): void {
  leave?.();
  writeTargetToUrl(t);
  document.title = `${t.room} · remote debug`;
  $<HTMLElement>('notice').hidden = true;
  leave = joinRoom(t, { onMessages: (messages) => consoleView.add(messages), onStatus: setStatus, onRefused: (r) => showRefusal(t, r) });
}

// Console or Network view: the same rows, two ways to look at them.
const consoleTab = $<HTMLButtonElement>('view-console');
const networkTab = $<HTMLButtonElement>('view-network');
const showView = (network: boolean) => {
  list.hidden = network;
  $('network').hidden = !network;
  consoleTab.setAttribute('aria-pressed', String(!network));
  networkTab.setAttribute('aria-pressed', String(network));
  if (!network) consoleView.shownAgain();
};
consoleTab.addEventListener('click', () => showView(false));
networkTab.addEventListener('click', () => showView(true));

$('clear').addEventListener('click', () => {
  store.clear();
  consoleView.dropPending();
  netView.reset([]);
  vitals.clear();
  consoleView.redraw();
});
$('export').addEventListener('click', () => {
  const matcher = filterBar.matcher;
  const blob = new Blob([toNdjson(store.rows.filter((r) => !matcher.ok || matcher.test(r)))], { type: 'application/x-ndjson' });
  const a = el('a');
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
filterBar.showCounts(consoleView.shown, store);
