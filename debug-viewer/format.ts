/**
 * Text forms of serialized values (the `$t` tags of packages/protocol/log-entry.ts): short
 * previews for collapsed objects, full text for search and export. Pure: no DOM.
 */

import { isTagged, leafText, type Tagged } from '../packages/protocol';

export { isTagged, leafText, type Tagged };

/** A user's own `$t`/`$ctor` key travels with one more `$` (see the serializer); show it as written. */
export function displayKey(key: string): string {
  return /^\$\$+(t|ctor)$/.test(key) ? key.slice(1) : key;
}

/** Keys of a plain serialized object, without the class marker. */
export function objectKeys(v: Record<string, unknown>): string[] {
  return Object.keys(v).filter((k) => k !== '$ctor');
}

function quote(s: string): string {
  return JSON.stringify(s);
}

/** Short, Chrome-like preview: `{a: 1, b: "x", …}`, `Map(2) {…}`, `Error: boom`. */
export function preview(v: unknown, top = false, budget = 80): string {
  if (v === null) return 'null';
  if (typeof v === 'string') {
    const max = Math.max(budget, 24);
    return top ? v : quote(v.length > max ? `${v.slice(0, max)}…` : v);
  }
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) {
    // Like Chrome: nested containers collapse to a marker rather than to unreadable fragments.
    if (budget < 24) return v.length ? `Array(${v.length})` : '[]';
    return `[${listPreview(v.map((x) => preview(x, false, budget / 4)), budget)}]`;
  }
  if (isTagged(v)) {
    const leaf = leafText(v);
    if (leaf !== undefined) return leaf;
    switch (v.$t) {
      case 'string':
        return top ? `${String(v.value)}…` : `${quote(String(v.value).slice(0, budget))}…`;
      case 'Error':
        return `${String(v.name)}: ${String(v.message)}`;
      case 'Map': {
        const entries = Array.isArray(v.entries) ? v.entries : [];
        if (budget < 10) return `Map(${String(v.size)})`;
        const parts = entries.map((e) =>
          Array.isArray(e) ? `${preview(e[0], false, budget / 4)} => ${preview(e[1], false, budget / 4)}` : preview(e, false, 10),
        );
        return `Map(${String(v.size)}) {${listPreview(parts, budget)}}`;
      }
      case 'Set': {
        const values = Array.isArray(v.values) ? v.values : [];
        if (budget < 10) return `Set(${String(v.size)})`;
        return `Set(${String(v.size)}) {${listPreview(values.map((x) => preview(x, false, budget / 4)), budget)}}`;
      }
      case 'TypedArray': {
        const values = Array.isArray(v.values) ? v.values : [];
        return `${String(v.ctor)}(${String(v.length)}) [${listPreview(values.map((x) => preview(x, false, 10)), budget)}]`;
      }
      default:
        break;
    }
  }
  const obj = v as Record<string, unknown>;
  const ctor = typeof obj.$ctor === 'string' ? `${obj.$ctor} ` : '';
  if (budget < 24) return objectKeys(obj).length ? `${ctor}{…}` : `${ctor}{}`;
  const parts = objectKeys(obj).map((k) =>
    k === '…' ? preview(obj[k], false, 10) : `${displayKey(k)}: ${preview(obj[k], false, budget / 4)}`,
  );
  return `${ctor}{${listPreview(parts, budget)}}`;
}

function listPreview(parts: string[], budget: number): string {
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const next = (i ? ', ' : '') + parts[i];
    if (out.length + next.length > budget) return `${out}${i ? ', ' : ''}…`;
    out += next;
  }
  return out;
}

/** A piece of a formatted console line: literal text, or a value to render. */
export type Part = { text: string } | { value: unknown };

/**
 * Applies console format specifiers (`%s %d %i %f %o %O %c %%`) of a leading string argument,
 * as browsers do. `%c` styles are dropped: a viewer never applies CSS from a page.
 */
export function formatArgs(args: readonly unknown[]): Part[] {
  const parts: Part[] = [];
  let rest = args;
  const first = args[0];
  if (typeof first === 'string' && first.includes('%')) {
    let i = 1;
    let text = '';
    const re = /%([sdifoOc%])/g;
    let last = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(first))) {
      text += first.slice(last, m.index);
      last = re.lastIndex;
      const spec = m[1]!;
      if (spec === '%') {
        text += '%';
        continue;
      }
      if (i >= args.length) {
        text += m[0];
        continue;
      }
      const arg = args[i++];
      if (spec === 'c') continue;
      if (spec === 's') text += typeof arg === 'string' ? arg : preview(arg, true);
      else if (spec === 'd' || spec === 'i') text += typeof arg === 'number' ? String(Math.trunc(arg)) : 'NaN';
      else if (spec === 'f') text += typeof arg === 'number' ? String(arg) : 'NaN';
      else {
        if (text) parts.push({ text });
        text = '';
        parts.push({ value: arg });
      }
    }
    text += first.slice(last);
    if (text) parts.push({ text });
    rest = args.slice(i);
  } else if (args.length) {
    parts.push(typeof first === 'string' ? { text: first } : { value: first });
    rest = args.slice(1);
  }
  for (const arg of rest) parts.push(typeof arg === 'string' ? { text: arg } : { value: arg });
  return parts;
}

/** The whole of a value as text, for search: every key and leaf, bounded. */
export function searchText(v: unknown, out: string[] = [], limit = { n: 4000 }): string[] {
  if (limit.n <= 0) return out;
  if (v === null || typeof v !== 'object') {
    const s = String(v);
    limit.n -= s.length;
    out.push(s);
    return out;
  }
  if (isTagged(v)) {
    const leaf = leafText(v);
    if (leaf !== undefined) {
      out.push(leaf);
      return out;
    }
    if (v.$t === 'string') out.push(String(v.value));
    if (v.$t === 'Error') out.push(`${String(v.name)}: ${String(v.message)}`, String(v.stack ?? ''));
  }
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (k !== '$t') out.push(displayKey(k));
    searchText(x, out, limit);
    if (limit.n <= 0) break;
  }
  return out;
}
