import { ctorName, errorMessage, isEventLike, keyPath, read } from './safe-read';
import { truncate, type Child, type Json, type JsonObject, type Walk } from './walk-state';

/** Containers (arrays, Map, Set, typed arrays, buffers, boxed primitives), errors and plain objects; each child goes back through the serializer's `walk`. */

const TYPED_ARRAY_TAGS = new Set([
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
  'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Float16Array',
]);

export function walkContainer(walk: Child, w: Walk, obj: object, tag: string, depth: number, path: string): Json {
  const { maxBreadth } = w.limits;
  if (obj instanceof Error || tag === 'Error' || tag === 'DOMException') return walkError(walk, w, obj as Error, depth, path);
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
  return walkPlain(walk, w, obj, tag, depth, path);
}

function walkError(walk: Child, w: Walk, err: Error, depth: number, path: string): Json {
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

function walkPlain(walk: Child, w: Walk, obj: object, tag: string, depth: number, path: string): Json {
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
