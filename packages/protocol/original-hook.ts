import type { LogEntry } from './log-entry';

/**
 * The original remote-debug hook (the 2018 `node_im_remote_debug.js`, still deployed on sites)
 * replaced `console.log` with `postMsg(arguments, "console-log")` as source `remote_debug`: its
 * messages carry a JavaScript `arguments` object, which reaches the wire as `{"0": …, "1": …}`.
 * The viewers show those as log rows; the wire, `im-debug tail --json` and pages keep them as
 * received. This is the one rule both viewers use to recognise them.
 */

/** Who produced such a row, in the viewers' `origin` column. */
export const ORIGINAL_HOOK_ORIGIN = 'original hook';

/**
 * True for a plain object whose keys are exactly "0", "1", … "n-1" (n ≥ 1), which is what an
 * `arguments` object becomes in JSON. Anything else (arrays, `{}`, `{"0": x, "a": y}`,
 * `{"1": x}`, strings) is not one.
 */
export function isOriginalHookArguments(data: unknown): data is Record<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const proto = Object.getPrototypeOf(data);
  if (proto !== Object.prototype && proto !== null) return false;
  const keys = Object.keys(data);
  if (keys.length === 0) return false;
  // Integer-like keys enumerate in ascending order, so "0".."n-1" means keys[i] === String(i).
  for (let i = 0; i < keys.length; i++) if (keys[i] !== String(i)) return false;
  return true;
}

/** Nesting beyond this is left as it is (the viewers cut deep values anyway). */
const MAX_ESCAPE_DEPTH = 64;

/**
 * The original hook sent plain JSON, not the new hook's serialized form, where a key `$t` or
 * `$ctor` marks a tag: a user's own such key gets the extra `$` the serializer would have given
 * it, so it shows as written. Copies only the objects that need it.
 */
function asSerialized(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null || depth >= MAX_ESCAPE_DEPTH) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = asSerialized(value[i], depth + 1);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  let out: Record<string, unknown> | undefined;
  const src = value as Record<string, unknown>;
  for (const key of Object.keys(src)) {
    const v = asSerialized(src[key], depth + 1);
    const k = /^\$+(t|ctor)$/.test(key) ? `$${key}` : key;
    if (v !== src[key] || k !== key) {
      if (!out) {
        out = {};
        // Keep the key order: copy what came before unchanged.
        for (const before of Object.keys(src)) {
          if (before === key) break;
          out[before] = src[before];
        }
      }
    }
    if (out) out[k] = v;
  }
  return out ?? value;
}

/** The arguments of an original-hook message, in order; undefined when `data` is not one. */
export function originalHookArgs(data: unknown): unknown[] | undefined {
  if (!isOriginalHookArguments(data)) return undefined;
  const n = Object.keys(data).length;
  const args = new Array<unknown>(n);
  for (let i = 0; i < n; i++) args[i] = asSerialized(data[String(i)]);
  return args;
}

/**
 * An original-hook message as the viewers' log entry (level `log`, method `log`, its arguments
 * in order). It has no session or sequence number (the original sent none): `session` is ''.
 */
export function originalHookEntry(data: unknown, ts: number): LogEntry | undefined {
  const args = originalHookArgs(data);
  if (!args) return undefined;
  return { kind: 'log', v: 1, level: 'log', method: 'log', args, ts, seq: 0, session: '', origin: ORIGINAL_HOOK_ORIGIN };
}
