/**
 * Turns any value into a JSON tree a viewer can render, following the `$t` tags documented in
 * packages/protocol/log-entry.ts. It never throws: whatever a getter, a Proxy or a hostile
 * `toString` does, the worst outcome is a `{ $t: 'thrown' }` leaf.
 *
 * No runtime import from protocol: the hook bundle must not pull zod in.
 */

export interface SerializeLimits {
  /** Nesting depth below the argument itself; deeper values become `{ $t: 'depth' }`. */
  maxDepth: number;
  /** Keys per object, items per array/Map/Set/typed array; the rest is one `{ $t: 'more' }`. */
  maxBreadth: number;
  /** Longer strings are cut to this many characters (`{ $t: 'string', value, length }`). */
  maxString: number;
  /** Rough budget, in characters of JSON, for everything serialized in one call. */
  maxBytes: number;
}

export const DEFAULT_SERIALIZE_LIMITS: SerializeLimits = {
  maxDepth: 6,
  maxBreadth: 100,
  maxString: 8000,
  maxBytes: 24_000,
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Walk {
  limits: SerializeLimits;
  /** Characters still allowed (roughly the JSON length). */
  budget: number;
  /** The objects on the path from the root to the value being serialized, with their paths. */
  stack: object[];
  paths: string[];
}

const TYPED_ARRAY_TAGS = new Set([
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
  'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Float16Array',
]);

function errorMessage(err: unknown): string {
  try {
    if (err instanceof Error) return `${err.name}: ${err.message}`;
    return String(err);
  } catch {
    return 'unprintable exception';
  }
}

/** The internal [[Class]]: safe for Proxies and objects with a hostile Symbol.toStringTag. */
function tagOf(value: object): string {
  try {
    return Object.prototype.toString.call(value).slice(8, -1);
  } catch {
    return 'Object';
  }
}

function ctorName(value: object): string {
  try {
    const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
    if (proto === null) return 'Object';
    const name = proto.constructor?.name;
    return typeof name === 'string' && name !== '' ? name : 'Object';
  } catch {
    return 'Object';
  }
}

function truncate(w: Walk, s: string): Json {
  const max = Math.max(0, Math.min(w.limits.maxString, w.budget));
  if (s.length <= max) {
    w.budget -= s.length + 2;
    return s;
  }
  w.budget -= max + 40;
  return { $t: 'string', value: s.slice(0, max), length: s.length };
}

function isDomNode(value: object): boolean {
  const v = value as { nodeType?: unknown; nodeName?: unknown };
  try {
    return typeof v.nodeType === 'number' && typeof v.nodeName === 'string';
  } catch {
    return false;
  }
}

/** `div#app.main.wide`, `#text "hello"`, `#document`: what a reader needs to find the node. */
export function nodeSummary(node: object): string {
  try {
    const n = node as Node & Partial<Element>;
    if (n.nodeType === 1) {
      let s = (n.localName || n.nodeName).toLowerCase();
      if (n.id) s += `#${n.id}`;
      const cls = typeof n.className === 'string' ? n.className.trim() : n.getAttribute?.('class')?.trim();
      if (cls) s += `.${cls.split(/\s+/).slice(0, 5).join('.')}`;
      const name = n.getAttribute?.('name');
      if (name) s += `[name="${name.slice(0, 40)}"]`;
      return s.slice(0, 200);
    }
    if (n.nodeType === 3 || n.nodeType === 8) {
      const text = (n.textContent ?? '').trim();
      return `${n.nodeName} "${text.length > 60 ? `${text.slice(0, 60)}…` : text}"`;
    }
    return n.nodeName;
  } catch {
    return 'node';
  }
}

function isWindow(value: object): boolean {
  try {
    return (value as { window?: unknown }).window === value && typeof (value as Window).document === 'object';
  } catch {
    return false;
  }
}

function isEventLike(value: object): value is Event {
  try {
    const e = value as Partial<Event>;
    return typeof e.type === 'string' && typeof e.preventDefault === 'function' && 'target' in e;
  } catch {
    return false;
  }
}

/** One property read, with throwing getters turned into a tag. */
function read(obj: object, key: PropertyKey): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: (obj as Record<PropertyKey, unknown>)[key] };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}

function keyPath(parent: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

function walk(w: Walk, value: unknown, depth: number, path: string): Json {
  switch (typeof value) {
    case 'string':
      return truncate(w, value);
    case 'number':
      w.budget -= 8;
      if (Number.isNaN(value)) return { $t: 'NaN' };
      if (value === Infinity) return { $t: 'Infinity' };
      if (value === -Infinity) return { $t: '-Infinity' };
      if (value === 0 && 1 / value < 0) return { $t: '-0' };
      return value;
    case 'boolean':
      w.budget -= 5;
      return value;
    case 'undefined':
      w.budget -= 16;
      return { $t: 'undefined' };
    case 'bigint':
      w.budget -= 24;
      return { $t: 'bigint', value: value.toString() };
    case 'symbol': {
      w.budget -= 24;
      let description = '';
      try {
        description = value.description ?? '';
      } catch {
        /* a symbol's description cannot throw, but stay safe */
      }
      return { $t: 'symbol', description: description.slice(0, 200) };
    }
    case 'function': {
      w.budget -= 24;
      let name = '';
      try {
        name = typeof value.name === 'string' ? value.name : '';
      } catch {
        /* a Proxy around a function may throw on `name` */
      }
      return { $t: 'function', name: name.slice(0, 200) };
    }
    default:
      break;
  }
  if (value === null) {
    w.budget -= 4;
    return null;
  }
  return walkObject(w, value as object, depth, path);
}

function walkObject(w: Walk, obj: object, depth: number, path: string): Json {
  const at = w.stack.indexOf(obj);
  if (at !== -1) {
    w.budget -= 30;
    return { $t: 'circular', path: w.paths[at]! };
  }
  try {
    const tag = tagOf(obj);
    if (isDomNode(obj)) {
      w.budget -= 40;
      return { $t: 'node', summary: nodeSummary(obj) };
    }
    if (isWindow(obj)) return { $t: 'node', summary: 'window' };
    if (tag === 'Date') {
      w.budget -= 40;
      const time = Date.prototype.getTime.call(obj);
      return { $t: 'Date', iso: Number.isNaN(time) ? 'Invalid Date' : new Date(time).toISOString() };
    }
    if (tag === 'RegExp') {
      const re = obj as RegExp;
      return { $t: 'RegExp', source: String(truncate(w, re.source)), flags: String(re.flags) };
    }
    if (depth > w.limits.maxDepth || w.budget <= 0) {
      w.budget -= 30;
      return { $t: 'depth', ctor: Array.isArray(obj) ? `Array(${(obj as unknown[]).length})` : ctorName(obj) };
    }
    w.stack.push(obj);
    w.paths.push(path);
    try {
      return walkContainer(w, obj, tag, depth, path);
    } finally {
      w.stack.pop();
      w.paths.pop();
    }
  } catch (err) {
    // A Proxy trap or a hostile object: say what happened instead of failing the whole entry.
    return { $t: 'thrown', message: errorMessage(err).slice(0, 500) };
  }
}

function walkContainer(w: Walk, obj: object, tag: string, depth: number, path: string): Json {
  const { maxBreadth } = w.limits;
  if (obj instanceof Error || tag === 'Error' || tag === 'DOMException') return walkError(w, obj as Error, depth, path);
  if (Array.isArray(obj)) {
    const out: Json[] = [];
    const n = obj.length;
    for (let i = 0; i < n; i++) {
      if (i >= maxBreadth || w.budget <= 0) {
        out.push({ $t: 'more', count: n - i });
        break;
      }
      const got = read(obj, i);
      out.push(got.ok ? walk(w, got.value, depth + 1, `${path}[${i}]`) : { $t: 'thrown', message: got.message });
      w.budget -= 1;
    }
    return out;
  }
  if (tag === 'Map') {
    const map = obj as Map<unknown, unknown>;
    const entries: Json[] = [];
    let i = 0;
    for (const [k, v] of map) {
      if (i >= maxBreadth || w.budget <= 0) {
        entries.push({ $t: 'more', count: map.size - i });
        break;
      }
      entries.push([walk(w, k, depth + 1, `${path}.<key ${i}>`), walk(w, v, depth + 1, `${path}.<value ${i}>`)]);
      i++;
    }
    return { $t: 'Map', size: map.size, entries };
  }
  if (tag === 'Set') {
    const set = obj as Set<unknown>;
    const values: Json[] = [];
    let i = 0;
    for (const v of set) {
      if (i >= maxBreadth || w.budget <= 0) {
        values.push({ $t: 'more', count: set.size - i });
        break;
      }
      values.push(walk(w, v, depth + 1, `${path}.<value ${i}>`));
      i++;
    }
    return { $t: 'Set', size: set.size, values };
  }
  if (TYPED_ARRAY_TAGS.has(tag)) {
    const arr = obj as unknown as ArrayLike<number | bigint>;
    const values: Json[] = [];
    const n = Math.min(arr.length, maxBreadth);
    for (let i = 0; i < n && w.budget > 0; i++) values.push(walk(w, arr[i], depth + 1, ''));
    if (values.length < arr.length) values.push({ $t: 'more', count: arr.length - values.length });
    return { $t: 'TypedArray', ctor: tag, length: arr.length, values };
  }
  if (tag === 'ArrayBuffer' || tag === 'SharedArrayBuffer' || tag === 'DataView') {
    w.budget -= 40;
    return { $ctor: tag, byteLength: (obj as ArrayBuffer).byteLength };
  }
  if (tag === 'Number' || tag === 'String' || tag === 'Boolean' || tag === 'BigInt' || tag === 'Symbol') {
    // Boxed primitives (`new Number(1)`) have no keys: their value is what a reader needs.
    return { $ctor: tag, value: walk(w, (obj as { valueOf(): unknown }).valueOf(), depth + 1, path) };
  }
  return walkPlain(w, obj, tag, depth, path);
}

function walkError(w: Walk, err: Error, depth: number, path: string): Json {
  const out: JsonObject = { $t: 'Error' };
  const name = read(err, 'name');
  const message = read(err, 'message');
  out.name = name.ok && typeof name.value === 'string' ? name.value.slice(0, 200) : ctorName(err);
  let text = message.ok ? String(message.value) : `[thrown: ${message.message}]`;
  if (text.length > w.limits.maxString) text = `${text.slice(0, w.limits.maxString)}…`;
  w.budget -= text.length;
  out.message = text;
  const stack = read(err, 'stack');
  if (stack.ok && typeof stack.value === 'string') {
    const s = stack.value.length > 4000 ? `${stack.value.slice(0, 4000)}…` : stack.value;
    w.budget -= s.length;
    out.stack = s;
  }
  const cause = read(err, 'cause');
  if (cause.ok && cause.value !== undefined) out.cause = walk(w, cause.value, depth + 1, `${path}.cause`);
  const errors = read(err, 'errors');
  if (errors.ok && Array.isArray(errors.value)) out.errors = walk(w, errors.value, depth + 1, `${path}.errors`);
  // Own extras such as `code` or `status`, which a reader often needs.
  const props: JsonObject = {};
  let count = 0;
  for (const key of Object.keys(err)) {
    if (key === 'stack' || key === 'message' || key === 'cause' || key === 'errors' || key === 'name') continue;
    if (count++ >= w.limits.maxBreadth || w.budget <= 0) break;
    const got = read(err, key);
    props[key] = got.ok ? walk(w, got.value, depth + 1, keyPath(path, key)) : { $t: 'thrown', message: got.message };
  }
  if (count > 0) out.props = props;
  return out;
}

function walkPlain(w: Walk, obj: object, tag: string, depth: number, path: string): Json {
  const out: JsonObject = {};
  const ctor = ctorName(obj);
  if (ctor !== 'Object') out.$ctor = ctor;
  if (isEventLike(obj)) {
    // An Event's useful fields are prototype getters, which Object.keys does not list.
    out.type = obj.type;
    const target = read(obj, 'target');
    if (target.ok) out.target = walk(w, target.value, depth + 1, `${path}.target`);
    const message = read(obj, 'message');
    if (message.ok && typeof message.value === 'string') out.message = truncate(w, message.value);
  }
  const keys: Array<string | symbol> = Object.keys(obj);
  for (const sym of Object.getOwnPropertySymbols(obj)) {
    if (Object.prototype.propertyIsEnumerable.call(obj, sym)) keys.push(sym);
  }
  let i = 0;
  for (const key of keys) {
    if (i >= w.limits.maxBreadth || w.budget <= 0) {
      out['…'] = { $t: 'more', count: keys.length - i };
      break;
    }
    i++;
    let name = typeof key === 'symbol' ? `[${key.toString()}]` : key;
    // A user's own `$t`/`$ctor` key must not be mistaken for a tag: it travels with one more `$`.
    if (/^\$+(t|ctor)$/.test(name)) name = `$${name}`;
    w.budget -= name.length + 4;
    const got = read(obj, key);
    out[name] = got.ok ? walk(w, got.value, depth + 1, keyPath(path, name)) : { $t: 'thrown', message: got.message };
  }
  if (tag === 'Promise' || tag === 'WeakMap' || tag === 'WeakSet') out.$ctor = ctor === 'Object' ? tag : ctor;
  return out;
}

/** Serializes one value. Never throws. */
export function serialize(value: unknown, limits: Partial<SerializeLimits> = {}): unknown {
  const l = { ...DEFAULT_SERIALIZE_LIMITS, ...limits };
  return walkSafe({ limits: l, budget: l.maxBytes, stack: [], paths: [] }, value, '$');
}

/**
 * Serializes a console call's arguments with one shared budget, so one huge argument cannot
 * push the entry past the server's size limit. Never throws.
 */
export function serializeArgs(args: ArrayLike<unknown>, limits: Partial<SerializeLimits> = {}): unknown[] {
  const l = { ...DEFAULT_SERIALIZE_LIMITS, ...limits };
  const w: Walk = { limits: l, budget: l.maxBytes, stack: [], paths: [] };
  const out: unknown[] = [];
  const n = Math.min(args.length, 99);
  for (let i = 0; i < n; i++) out.push(walkSafe(w, args[i], `$${i}`));
  if (args.length > n) out.push({ $t: 'more', count: args.length - n });
  return out;
}

function walkSafe(w: Walk, value: unknown, path: string): Json {
  try {
    return walk(w, value, 0, path);
  } catch (err) {
    return { $t: 'thrown', message: errorMessage(err).slice(0, 500) };
  }
}
