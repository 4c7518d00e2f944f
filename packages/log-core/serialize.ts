/**
 * Turns any value into a JSON tree a viewer can render, following the `$t` tags documented in
 * packages/protocol/log-entry.ts. It never throws: whatever a getter, a Proxy or a hostile
 * `toString` does, the worst outcome is a `{ $t: 'thrown' }` leaf.
 *
 * No runtime import from protocol: the hook bundle must not pull zod in.
 */
import { isDomNode, isWindow, nodeSummary } from './dom-node';
import { DEFAULT_SERIALIZE_LIMITS, type SerializeLimits } from './limits';
import { ctorName, errorMessage, tagOf } from './safe-read';
import { walkContainer } from './serialize-objects';
import { truncate, type Json, type Walk } from './walk-state';

export { DEFAULT_SERIALIZE_LIMITS, type SerializeLimits } from './limits';
export { nodeSummary } from './dom-node';

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
      return walkContainer(walk, w, obj, tag, depth, path);
    } finally {
      w.stack.pop();
      w.paths.pop();
    }
  } catch (err) {
    // A Proxy trap or a hostile object: say what happened instead of failing the whole entry.
    return { $t: 'thrown', message: errorMessage(err).slice(0, 500) };
  }
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
