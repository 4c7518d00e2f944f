import { isTagged, leafText, type Tagged } from '../../packages/protocol';
import { sanitize, sanitizeLine } from './sanitize';

/**
 * Renders the JSON trees of the hook's serializer (plain JSON plus `$t`-tagged values, see
 * packages/protocol/log-entry.ts) the way a browser console would: one line (`formatInline`)
 * or indented lines (`formatPretty`). Every string in them goes through `sanitize` (sanitize.ts).
 */

export { isTagged };

function quote(text: string): string {
  return `'${sanitizeLine(text.replace(/\\/g, '\\\\').replace(/'/g, "\\'"))}'`;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function key(name: string): string {
  return IDENTIFIER.test(name) ? name : quote(name);
}

function str(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

function num(value: unknown): string {
  return typeof value === 'number' ? String(value) : '?';
}

/** Stops appending once `max` characters are reached, so a huge entry costs little. */
class Budget {
  out = '';
  constructor(readonly max: number) {}
  get full(): boolean {
    return this.out.length >= this.max;
  }
  add(text: string): void {
    if (!this.full) this.out += text;
  }
  result(): string {
    return this.out.length > this.max ? `${this.out.slice(0, this.max - 1)}…` : this.out;
  }
}

const MAX_INLINE_DEPTH = 6;

/** `head`, then the items (`each` adds one) separated by commas, then `close`. */
function inlineItems(b: Budget, head: string, items: unknown, close: string, each: (item: unknown) => void): void {
  b.add(head);
  const list = Array.isArray(items) ? items : [];
  list.forEach((item, i) => {
    if (b.full) return;
    b.add(i ? ', ' : ' ');
    each(item);
  });
  b.add(list.length ? ` ${close}` : close);
}

function inlineTagged(v: Tagged, b: Budget, depth: number): void {
  const leaf = leafText(v);
  if (leaf !== undefined) return b.add(sanitizeLine(leaf));
  switch (v.$t) {
    case 'string':
      b.add(`${quote(str(v.value))}… (${num(v.length)} chars)`);
      return;
    case 'Error': {
      const name = sanitizeLine(str(v.name, 'Error'));
      const message = sanitizeLine(str(v.message));
      b.add(message ? `${name}: ${message}` : name);
      return;
    }
    case 'Map':
      return inlineItems(b, `Map(${num(v.size)}) {`, v.entries, '}', (pair) => {
        const [k, val] = Array.isArray(pair) ? pair : [pair, undefined];
        inline(k, b, depth + 1, true);
        b.add(' => ');
        inline(val, b, depth + 1, true);
      });
    case 'Set':
      return inlineItems(b, `Set(${num(v.size)}) {`, v.values, '}', (val) => inline(val, b, depth + 1, true));
    case 'TypedArray':
      return inlineItems(b, `${sanitizeLine(str(v.ctor, 'TypedArray'))}(${num(v.length)}) [`, v.values, ']', (val) => inline(val, b, depth + 1, true));
  }
}

function inline(value: unknown, b: Budget, depth: number, quoted: boolean): void {
  if (b.full) return;
  if (value === null) return b.add('null');
  switch (typeof value) {
    case 'string':
      return b.add(quoted ? quote(value) : sanitizeLine(value));
    case 'number':
    case 'boolean':
      return b.add(String(value));
    case 'undefined':
      return b.add('undefined');
    case 'object':
      break;
    default:
      return b.add(sanitizeLine(String(value)));
  }
  if (isTagged(value)) return inlineTagged(value, b, depth);
  if (depth >= MAX_INLINE_DEPTH) return b.add(Array.isArray(value) ? '[Array]' : '[Object]');
  if (Array.isArray(value)) {
    b.add('[');
    value.forEach((item, i) => {
      if (b.full) return;
      b.add(i ? ', ' : '');
      if (isTagged(item) && item.$t === 'more') b.add(`… ${num(item.count)} more`);
      else inline(item, b, depth + 1, true);
    });
    b.add(']');
    return;
  }
  const obj = value as Record<string, unknown>;
  const ctor = typeof obj.$ctor === 'string' ? `${sanitizeLine(obj.$ctor)} ` : '';
  const keys = Object.keys(obj).filter((k) => k !== '$ctor');
  if (keys.length === 0) return b.add(`${ctor}{}`);
  b.add(`${ctor}{ `);
  keys.forEach((k, i) => {
    if (b.full) return;
    b.add(i ? ', ' : '');
    const item = obj[k];
    if (isTagged(item) && item.$t === 'more') {
      b.add(`… ${num(item.count)} more`);
      return;
    }
    b.add(`${key(k)}: `);
    inline(item, b, depth + 1, true);
  });
  b.add(' }');
}

export interface InlineOptions {
  /** Cut the text at this many characters (default 4096). */
  maxLength?: number;
  /** Quote strings (nested values are always quoted; console.log prints top-level strings bare). */
  quoted?: boolean;
}

/** One value on one line, as a console would print it. */
export function formatInline(value: unknown, opts: InlineOptions = {}): string {
  const b = new Budget(opts.maxLength ?? 4096);
  inline(value, b, 0, opts.quoted ?? false);
  return b.result();
}

const FORMAT_SPEC = /%[sdifoOjc%]/;

/**
 * A console call's arguments as one line. Like browsers, a first string argument with `%s`,
 * `%d`, `%o`, `%c`... consumes the following arguments (`%c` styles are dropped).
 */
export function formatArgs(args: readonly unknown[], maxLength = 4096): string {
  const b = new Budget(maxLength);
  let rest = 0;
  const first = args[0];
  if (typeof first === 'string' && FORMAT_SPEC.test(first)) {
    rest = 1;
    const text = first.replace(/%[sdifoOjc%]/g, (spec) => {
      if (spec === '%%') return '%';
      if (rest >= args.length) return spec;
      const arg = args[rest++];
      switch (spec) {
        case '%c':
          return '';
        case '%d':
        case '%i':
          return typeof arg === 'number' ? String(Math.trunc(arg)) : formatInline(arg, { maxLength });
        case '%f':
          return typeof arg === 'number' ? String(arg) : formatInline(arg, { maxLength });
        case '%s':
          return formatInline(arg, { maxLength });
        default:
          return formatInline(arg, { maxLength, quoted: true });
      }
    });
    b.add(sanitizeLine(text));
  }
  for (let i = rest; i < args.length && !b.full; i++) {
    if (b.out.length > 0 || i > 0) b.add(' ');
    inline(args[i], b, 0, false);
  }
  return b.result();
}

const PRETTY_WIDTH = 72;
const INDENT = '  ';

/**
 * A value as indented lines (for the expanded view). Short containers stay on one line;
 * errors show their stack and cause. At most `maxLines` lines.
 */
export function formatPretty(value: unknown, maxLines = 200): string[] {
  const lines: string[] = [];
  pretty(value, '', '', '', lines, 0, maxLines);
  if (lines.length > maxLines) {
    const cut = lines.length - maxLines + 1;
    lines.length = maxLines - 1;
    lines.push(`… ${cut} more lines`);
  }
  return lines;
}

function pretty(
  value: unknown,
  indent: string,
  prefix: string,
  suffix: string,
  lines: string[],
  depth: number,
  maxLines: number,
): void {
  if (lines.length > maxLines) return;
  if (typeof value === 'string' && depth === 0) {
    const parts = sanitize(value).split(/\r?\n/);
    parts.forEach((p, i) => lines.push(`${indent}${i === 0 ? prefix : ''}${p.replace(/\t/g, '  ')}${i === parts.length - 1 ? suffix : ''}`));
    return;
  }
  const one = formatInline(value, { quoted: depth > 0, maxLength: 512 });
  const isContainer = typeof value === 'object' && value !== null;
  if (!isContainer || (indent.length + prefix.length + one.length <= PRETTY_WIDTH && !isErrorTag(value))) {
    lines.push(`${indent}${prefix}${one}${suffix}`);
    return;
  }
  const inner = indent + INDENT;
  if (isTagged(value)) {
    switch (value.$t) {
      case 'Error': {
        const name = sanitizeLine(str(value.name, 'Error'));
        const message = sanitizeLine(str(value.message));
        lines.push(`${indent}${prefix}${message ? `${name}: ${message}` : name}${suffix}`);
        const stack = str(value.stack).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
        // Browsers repeat "Name: message" as the first stack line.
        if (stack[0] && !stack[0].startsWith('at ') && stack[0].includes(str(value.message, '\u0000'))) stack.shift();
        for (const l of stack) lines.push(`${inner}${sanitizeLine(l)}`);
        if (value.cause !== undefined) pretty(value.cause, inner, '[cause]: ', '', lines, depth + 1, maxLines);
        return;
      }
      case 'Map': {
        lines.push(`${indent}${prefix}Map(${num(value.size)}) {`);
        for (const pair of Array.isArray(value.entries) ? value.entries : []) {
          const [k, v] = Array.isArray(pair) ? pair : [pair, undefined];
          pretty(v, inner, `${formatInline(k, { quoted: true, maxLength: 200 })} => `, ',', lines, depth + 1, maxLines);
        }
        lines.push(`${indent}}${suffix}`);
        return;
      }
      case 'Set':
      case 'TypedArray': {
        const head = value.$t === 'Set' ? `Set(${num(value.size)}) {` : `${sanitizeLine(str(value.ctor))}(${num(value.length)}) [`;
        lines.push(`${indent}${prefix}${head}`);
        for (const v of Array.isArray(value.values) ? value.values : []) pretty(v, inner, '', ',', lines, depth + 1, maxLines);
        lines.push(`${indent}${value.$t === 'Set' ? '}' : ']'}${suffix}`);
        return;
      }
      default:
        lines.push(`${indent}${prefix}${one}${suffix}`);
        return;
    }
  }
  if (Array.isArray(value)) {
    lines.push(`${indent}${prefix}[`);
    for (const item of value) pretty(item, inner, '', ',', lines, depth + 1, maxLines);
    lines.push(`${indent}]${suffix}`);
    return;
  }
  const obj = value as Record<string, unknown>;
  const ctor = typeof obj.$ctor === 'string' ? `${sanitizeLine(obj.$ctor)} ` : '';
  lines.push(`${indent}${prefix}${ctor}{`);
  for (const k of Object.keys(obj)) {
    if (k === '$ctor') continue;
    const item = obj[k];
    if (isTagged(item) && item.$t === 'more') lines.push(`${inner}… ${num(item.count)} more`);
    else pretty(item, inner, `${key(k)}: `, ',', lines, depth + 1, maxLines);
  }
  lines.push(`${indent}}${suffix}`);
}

function isErrorTag(value: unknown): boolean {
  return isTagged(value) && value.$t === 'Error' && typeof value.stack === 'string' && value.stack !== '';
}
