/**
 * Renders serialized values as DOM, Chrome-console style: leaves inline, containers as
 * <details> whose children are built when first opened. Only textContent is ever set, so no
 * entry content can become markup or script.
 */
import { el } from './dom';
import { displayKey, formatArgs, isTagged, leafText, objectKeys, preview, type Tagged } from './format';

/**
 * A stack as received; data-stack keeps that text so the viewer can show its frames through
 * source maps once they are in (fillStacks in row-view.ts), and go back to it.
 */
export function stackBlock(stack: string): HTMLElement {
  const pre = el('pre', 'v-stack', stack);
  pre.dataset.stack = stack;
  return pre;
}

/** A collapsible value: the summary now, the children when opened. */
function expandable(summary: string, cls: string, fill: (body: HTMLElement) => void): HTMLElement {
  const details = el('details', `v-obj ${cls}`);
  details.append(el('summary', undefined, summary));
  const body = el('div', 'v-body');
  details.append(body);
  let filled = false;
  details.addEventListener('toggle', () => {
    if (details.open && !filled) {
      filled = true;
      try {
        fill(body);
      } catch (err) {
        body.append(el('span', 'v-muted', `[cannot render: ${String(err)}]`));
      }
    }
  });
  return details;
}

function prop(body: HTMLElement, key: string, value: unknown, keyCls = 'v-key'): void {
  const line = el('div', 'v-prop');
  line.append(el('span', keyCls, key), el('span', 'v-sep', ': '), renderValue(value));
  body.append(line);
}

function renderTagged(v: Tagged): HTMLElement {
  const leaf = leafText(v);
  if (leaf !== undefined) {
    const cls = v.$t === 'node' ? 'v-node' : v.$t === 'function' ? 'v-fn' : v.$t === 'bigint' ? 'v-num' : v.$t === 'Date' ? 'v-date' : v.$t === 'RegExp' ? 'v-re' : 'v-muted';
    return el('span', cls, leaf);
  }
  switch (v.$t) {
    case 'string': {
      const span = el('span', 'v-str', JSON.stringify(String(v.value)));
      span.append(el('span', 'v-muted', ` … (${String(v.length)} chars in all)`));
      return span;
    }
    case 'Error':
      return expandable(preview(v), 'v-error', (body) => {
        if (typeof v.stack === 'string') body.append(stackBlock(v.stack));
        if (v.cause !== undefined) prop(body, 'cause', v.cause);
        if (v.errors !== undefined) prop(body, 'errors', v.errors);
        if (v.props && typeof v.props === 'object') {
          for (const [k, x] of Object.entries(v.props as Record<string, unknown>)) prop(body, displayKey(k), x);
        }
      });
    case 'Map':
      return expandable(preview(v), '', (body) => {
        const entries = Array.isArray(v.entries) ? v.entries : [];
        for (const e of entries) {
          const line = el('div', 'v-prop');
          if (Array.isArray(e)) line.append(renderValue(e[0]), el('span', 'v-sep', ' => '), renderValue(e[1]));
          else line.append(renderValue(e));
          body.append(line);
        }
      });
    case 'Set':
    case 'TypedArray':
      return expandable(preview(v), '', (body) => {
        const values = Array.isArray(v.values) ? v.values : [];
        values.forEach((x, i) => (isTagged(x) && x.$t === 'more' ? body.append(renderValue(x)) : prop(body, String(i), x, 'v-idx')));
      });
    default:
      return renderObject(v);
  }
}

function renderObject(obj: Record<string, unknown>): HTMLElement {
  const keys = objectKeys(obj);
  if (keys.length === 0) return el('span', 'v-muted', preview(obj));
  return expandable(preview(obj), '', (body) => {
    for (const k of keys) {
      if (k === '…') body.append(renderValue(obj[k]));
      else prop(body, displayKey(k), obj[k]);
    }
  });
}

/** One value, nested inside an argument (strings quoted). */
export function renderValue(v: unknown): HTMLElement {
  if (v === null) return el('span', 'v-muted', 'null');
  switch (typeof v) {
    case 'string':
      return el('span', 'v-str', JSON.stringify(v));
    case 'number':
      return el('span', 'v-num', String(v));
    case 'boolean':
      return el('span', 'v-bool', String(v));
    case 'object':
      break;
    default:
      return el('span', 'v-muted', String(v));
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return el('span', undefined, '[]');
    return expandable(`(${v.length}) ${preview(v)}`, '', (body) => {
      v.forEach((x, i) => (isTagged(x) && x.$t === 'more' ? body.append(renderValue(x)) : prop(body, String(i), x, 'v-idx')));
    });
  }
  if (isTagged(v)) return renderTagged(v);
  return renderObject(v as Record<string, unknown>);
}

/** An argument at the top of a console line: strings print raw, as the console does. */
export function renderArg(v: unknown): HTMLElement {
  if (typeof v === 'string') return el('span', 'v-text', v);
  if (isTagged(v) && v.$t === 'string') {
    const span = el('span', 'v-text', String(v.value));
    span.append(el('span', 'v-muted', ` … (${String(v.length)} chars in all)`));
    return span;
  }
  return renderValue(v);
}

/** The message part of a row: format specifiers applied, then each part. */
export function renderArgs(args: readonly unknown[]): DocumentFragment {
  const frag = document.createDocumentFragment();
  formatArgs(args).forEach((part, i) => {
    if (i) frag.append(' ');
    frag.append('text' in part ? el('span', 'v-text', part.text) : renderArg(part.value));
  });
  return frag;
}

/** console.table: an array or object of rows as an HTML table (columns from the rows' keys). */
export function renderTable(data: unknown, columns?: unknown): HTMLElement | undefined {
  if (data === null || typeof data !== 'object' || isTagged(data)) return undefined;
  const rows: Array<[string, unknown]> = Array.isArray(data)
    ? data.map((r, i) => [String(i), r])
    : objectKeys(data as Record<string, unknown>).map((k) => [displayKey(k), (data as Record<string, unknown>)[k]]);
  const cols: string[] = [];
  const wanted = Array.isArray(columns) ? columns.map(String) : undefined;
  let hasValues = false;
  for (const [, r] of rows) {
    if (r !== null && typeof r === 'object' && !Array.isArray(r) && !isTagged(r)) {
      for (const k of objectKeys(r as Record<string, unknown>)) if (!cols.includes(k) && (!wanted || wanted.includes(k))) cols.push(k);
    } else if (Array.isArray(r)) {
      r.forEach((_, i) => !cols.includes(String(i)) && cols.push(String(i)));
    } else hasValues = true;
  }
  const table = el('table', 'v-table');
  const head = el('tr');
  head.append(el('th', undefined, '(index)'), ...cols.map((c) => el('th', undefined, displayKey(c))));
  if (hasValues) head.append(el('th', undefined, 'Value'));
  table.append(head);
  for (const [k, r] of rows.slice(0, 200)) {
    const tr = el('tr');
    tr.append(el('td', 'v-idx', k));
    for (const c of cols) {
      const td = el('td');
      const cell = r !== null && typeof r === 'object' ? (r as Record<string, unknown>)[c] : undefined;
      if (cell !== undefined) td.append(renderValue(cell));
      tr.append(td);
    }
    if (hasValues) {
      const td = el('td');
      if (r === null || typeof r !== 'object' || isTagged(r)) td.append(renderValue(r));
      tr.append(td);
    }
    table.append(tr);
  }
  return table;
}
