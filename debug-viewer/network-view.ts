/**
 * The /debug Network view: a table of the page's requests (method, status coloured, URL,
 * duration, size), filters by status class, method and text, and a detail pane with headers,
 * timing and bodies. Rows come from the same row store as the console view. Content is only
 * ever set as text.
 */
import type { CallSite, NetworkEntry } from '../packages/protocol';
import { formatBytes, formatMs, shortUrl } from '../terminal-viewer/format/network';
import { el } from './dom';
import type { Row } from './state';

export type StatusClass = '' | '2xx' | '3xx' | '4xx' | '5xx' | 'failed';

export interface NetFilter {
  status: StatusClass;
  method: string;
  text: string;
  session: string;
}

export function statusClass(e: NetworkEntry): Exclude<StatusClass, ''> {
  if (e.failure) return 'failed';
  const s = e.status ?? 0;
  if (s >= 500) return '5xx';
  if (s >= 400) return '4xx';
  if (s >= 300) return '3xx';
  return '2xx'; // 1xx/2xx, and loads whose status the browser does not tell (cross-origin Resource Timing, beacons)
}

export function netMatches(e: NetworkEntry, f: NetFilter): boolean {
  if (f.status && statusClass(e) !== f.status) return false;
  if (f.method && (e.type === 'websocket' ? 'WS' : e.type === 'eventsource' ? 'SSE' : e.method || '?') !== f.method) return false;
  if (f.session && e.session !== f.session) return false;
  if (f.text && !`${e.url} ${e.method} ${e.status ?? ''} ${e.failure ?? ''} ${e.type}`.toLowerCase().includes(f.text.toLowerCase())) return false;
  return true;
}

function statusText(e: NetworkEntry): string {
  if (e.event) return e.code !== undefined ? `${e.event} ${e.code}` : e.event;
  return e.status ? String(e.status) : (e.failure ?? e.statusText ?? '–');
}

export interface NetworkView {
  /** Rows the store gained (network ones are taken). */
  add(rows: readonly Row[]): void;
  /** Rows the store let go of. */
  remove(rows: readonly Row[]): void;
  /** Everything again (after Clear, or a filter change). */
  reset(rows: readonly Row[]): void;
  setSession(session: string): void;
  /** A source map came in: initiator cells show the original place where one is known. */
  sitesChanged(): void;
}

/** `mapSite`: the original place of a call site when its source map is in (allowed origins only), as in the console view. */
export function createNetworkView(root: HTMLElement, mapSite: (site: CallSite) => CallSite | undefined = () => undefined): NetworkView {
  const bar = el('div', 'bar net-bar');
  const status = document.createElement('select');
  status.id = 'net-status';
  status.setAttribute('aria-label', 'status class');
  for (const [v, label] of [['', 'all statuses'], ['2xx', '2xx'], ['3xx', '3xx'], ['4xx', '4xx'], ['5xx', '5xx'], ['failed', 'failed']]) {
    const o = document.createElement('option');
    o.value = v!;
    o.textContent = label!;
    status.append(o);
  }
  const method = document.createElement('select');
  method.id = 'net-method';
  method.setAttribute('aria-label', 'method');
  method.append(Object.assign(document.createElement('option'), { value: '', textContent: 'all methods' }));
  const text = document.createElement('input');
  text.id = 'net-text';
  text.type = 'search';
  text.placeholder = 'filter URL';
  text.size = 24;
  const count = el('span', 'muted');
  bar.append(status, method, text, el('span', 'spacer'), count);

  const table = el('div', 'net-list');
  table.id = 'net-list';
  const head = el('div', 'net-row net-head');
  for (const h of ['method', 'status', 'URL', 'time', 'size', 'initiator']) head.append(el('span', undefined, h));
  const body = el('div');
  table.append(head, body);
  const detail = el('aside', 'net-detail');
  detail.id = 'net-detail';
  detail.hidden = true;
  const split = el('div', 'net-split');
  split.append(table, detail);
  root.append(bar, split);

  const filter: NetFilter = { status: '', method: '', text: '', session: '' };
  const entries: Array<{ row: Row; e: NetworkEntry }> = [];
  const nodes = new Map<number, HTMLElement>();
  const methods = new Set<string>();
  let selected: number | undefined;

  const renderDetail = (e: NetworkEntry) => {
    detail.replaceChildren();
    detail.hidden = false;
    const close = el('button', 'net-close', '×');
    close.setAttribute('aria-label', 'close details');
    close.addEventListener('click', () => {
      detail.hidden = true;
      selected = undefined;
    });
    detail.append(close, el('h3', undefined, `${e.method || e.type.toUpperCase()} ${e.url}`));
    const facts = el('dl');
    const fact = (k: string, v: string | undefined) => {
      if (v === undefined || v === '') return;
      facts.append(el('dt', undefined, k), el('dd', undefined, v));
    };
    fact('type', e.type + (e.beforeHook ? ' (made before the hook loaded: from Resource Timing)' : ''));
    fact('status', e.status ? `${e.status} ${e.statusText ?? ''}`.trim() : undefined);
    fact('failure', e.failure);
    fact('started', new Date(e.start).toISOString());
    fact('duration', formatMs(e.duration));
    fact('request size', formatBytes(e.requestSize) || (e.requestSize === 'unknown' ? 'unknown' : undefined));
    fact('response size', formatBytes(e.responseSize) || (e.responseSize === 'unknown' ? 'unknown' : undefined));
    if (e.messages) fact('messages', `sent ${e.messages.sent ?? 0} (${formatBytes(e.messages.sentBytes ?? 0)}), received ${e.messages.received ?? 0} (${formatBytes(e.messages.receivedBytes ?? 0)})`);
    if (e.code !== undefined) fact('close', `${e.code} ${e.reason ?? ''}`.trim());
    if (e.callSite) {
      const m = mapSite(e.callSite);
      const cs = m ?? e.callSite;
      fact('initiator', `${cs.fn ? `${cs.fn} ` : ''}${cs.file}:${cs.line}:${cs.col}${m ? ` (generated: ${e.callSite.file}:${e.callSite.line}:${e.callSite.col})` : ''}`);
    }
    fact('page', e.page?.url);
    detail.append(facts);
    if (e.timing) {
      detail.append(el('h4', undefined, 'Timing'));
      const t = el('dl');
      for (const [k, v] of Object.entries(e.timing)) t.append(el('dt', undefined, k), el('dd', undefined, formatMs(v)));
      detail.append(t);
    }
    for (const [title, h] of [['Request headers', e.requestHeaders], ['Response headers', e.responseHeaders]] as const) {
      if (!h) continue;
      detail.append(el('h4', undefined, title));
      const d = el('dl');
      for (const [k, v] of Object.entries(h)) d.append(el('dt', undefined, k), el('dd', undefined, v));
      detail.append(d);
    }
    for (const [title, b] of [['Request body', e.requestBody], ['Response body', e.responseBody]] as const) {
      if (b === undefined) continue;
      detail.append(el('h4', undefined, `${title}${e.bodyTruncated ? ' (cut at the hook’s limit)' : ''}`), el('pre', 'v-stack', b));
    }
    if (e.requestBody === undefined && e.responseBody === undefined && !e.event) {
      detail.append(el('p', 'muted', 'Bodies are not captured unless the page’s hook tag has data-network-bodies.'));
    }
  };

  const siteText = (e: NetworkEntry): string => {
    const cs = e.callSite && (mapSite(e.callSite) ?? e.callSite);
    return cs ? `${cs.file.split('/').pop()}:${cs.line}` : e.beforeHook ? 'before hook' : '';
  };
  const renderRow = (row: Row, e: NetworkEntry): HTMLElement => {
    const node = el('div', `net-row st-${statusClass(e)}`);
    node.dataset.status = String(e.status ?? 0);
    node.tabIndex = 0;
    const verb = e.type === 'websocket' ? 'WS' : e.type === 'eventsource' ? 'SSE' : e.method || '?';
    const url = el('span', 'net-url', shortUrl(e.url, e.page?.url));
    url.title = e.url;
    const site = el('span', 'site', siteText(e));
    node.append(el('span', 'net-method', verb), el('span', 'net-status', statusText(e)), url, el('span', 'net-time', formatMs(e.duration)), el('span', 'net-size', formatBytes(e.responseSize)), site);
    const open = () => {
      selected = row.id;
      for (const n of body.querySelectorAll('.net-row.selected')) n.classList.remove('selected');
      node.classList.add('selected');
      renderDetail(e);
    };
    node.addEventListener('click', open);
    node.addEventListener('keydown', (ev) => {
      if ((ev as KeyboardEvent).key === 'Enter') open();
    });
    return node;
  };

  const updateCount = () => {
    count.textContent = `${nodes.size} of ${entries.length} requests`;
  };

  const addMethod = (e: NetworkEntry) => {
    const verb = e.type === 'websocket' ? 'WS' : e.type === 'eventsource' ? 'SSE' : e.method || '?';
    if (methods.has(verb)) return;
    methods.add(verb);
    method.append(Object.assign(document.createElement('option'), { value: verb, textContent: verb }));
  };

  const redraw = () => {
    nodes.clear();
    body.replaceChildren();
    const frag = document.createDocumentFragment();
    for (const { row, e } of entries) {
      if (!netMatches(e, filter)) continue;
      const node = renderRow(row, e);
      if (row.id === selected) node.classList.add('selected');
      nodes.set(row.id, node);
      frag.append(node);
    }
    body.append(frag);
    updateCount();
  };

  const onFilter = () => {
    filter.status = status.value as StatusClass;
    filter.method = method.value;
    filter.text = text.value;
    redraw();
  };
  status.addEventListener('change', onFilter);
  method.addEventListener('change', onFilter);
  text.addEventListener('input', onFilter);

  return {
    add(rows) {
      const frag = document.createDocumentFragment();
      for (const row of rows) {
        if (!row.net) continue;
        entries.push({ row, e: row.net });
        addMethod(row.net);
        if (!netMatches(row.net, filter)) continue;
        const node = renderRow(row, row.net);
        nodes.set(row.id, node);
        frag.append(node);
      }
      body.append(frag);
      updateCount();
    },
    remove(rows) {
      if (!rows.some((r) => r.net)) return;
      const gone = new Set(rows.map((r) => r.id));
      for (let i = entries.length - 1; i >= 0; i--) if (gone.has(entries[i]!.row.id)) entries.splice(i, 1);
      for (const id of gone) {
        nodes.get(id)?.remove();
        nodes.delete(id);
      }
      updateCount();
    },
    reset(rows) {
      entries.length = 0;
      for (const row of rows) if (row.net) entries.push({ row, e: row.net });
      redraw();
    },
    sitesChanged() {
      for (const { row, e } of entries) {
        const site = e.callSite && nodes.get(row.id)?.querySelector<HTMLElement>('.site');
        if (site) site.textContent = siteText(e);
      }
    },
    setSession(session) {
      filter.session = session;
      redraw();
    },
  };
}
