/**
 * One row of the /debug console view: time, level, session, the message (values, a request or a
 * measurement), its stack and its call site. Call sites and stacks are shown as received first
 * and at their original places once their script's source map is in; never waited for.
 */
import { el } from './dom';
import { renderArgs, renderTable, stackBlock } from './render-value';
import type { BrowserSourceMaps } from './source-maps';
import type { Row } from './state';

export interface RowView {
  render(row: Row): HTMLElement;
  /** The call site cell: the original position when a source map gave one, the generated one otherwise. */
  fillSite(site: HTMLElement, row: Row): void;
  /** Stacks (console.trace, Error values) under `root` through the source maps that are in. */
  fillStacks(root: ParentNode): void;
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

/**
 * `askToAllow(origin)`: a click on a call site whose script's origin is not allowed yet asks the
 * user to allow fetching source maps from it (the entry's URLs are untrusted).
 */
export function createRowView(sourceMaps: BrowserSourceMaps, askToAllow: (origin: string) => void): RowView {
  function fillStacks(root: ParentNode): void {
    for (const pre of root.querySelectorAll<HTMLElement>('pre[data-stack]')) {
      const text = pre.dataset.stack!;
      const mapped = sourceMaps.mapStack(text);
      pre.textContent = mapped ?? text;
      pre.classList.toggle('mapped', mapped !== undefined);
      pre.title = mapped ? 'through source maps (the stack as received is in the JSON view)' : '';
    }
  }

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
    site.onclick = origin && !sourceMaps.isAllowed(origin) ? () => askToAllow(origin) : null;
  }

  function render(row: Row): HTMLElement {
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

  return { render, fillSite, fillStacks };
}
