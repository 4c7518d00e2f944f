import { z } from 'zod';

/**
 * A remote-debug log entry: what the browser hook, the Node/PHP log helpers send, and what
 * the /debug page and `im-debug tail` render. It travels as the `data` of a `newMsg`.
 *
 * Values in `args` are JSON trees produced by the hook's serializer. Plain JSON values stand
 * for themselves; anything JSON cannot carry is an object with a `$t` tag (see SerializedTag).
 */
export const LOG_LEVELS = ['debug', 'log', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Severity order, for `--level warn` style filters. */
export const LOG_LEVEL_RANK: Record<LogLevel, number> = { debug: 0, log: 1, info: 2, warn: 3, error: 4 };

/**
 * Tags of serialized values that plain JSON cannot carry:
 * - `undefined`, `NaN`, `Infinity`, `-Infinity`, `-0`: `{ $t }`
 * - `bigint`: `{ $t, value: '123' }`; `symbol`: `{ $t, description }`
 * - `function`: `{ $t, name }`
 * - `string` (truncated): `{ $t, value, length }` where length is the original length
 * - `Date`: `{ $t, iso }`; `RegExp`: `{ $t, source, flags }`
 * - `Error`: `{ $t, name, message, stack?, cause?, errors?, props? }` (errors: an AggregateError's;
 *   props: own extra keys such as `code`)
 * - `Map`: `{ $t, size, entries: [[k, v], ...] }`; `Set`: `{ $t, size, values: [...] }`
 * - `TypedArray`: `{ $t, ctor, length, values: [...] }`
 * - `node` (DOM): `{ $t, summary }` e.g. `div#app.main`
 * - `circular`: `{ $t, path }`; `depth` (too deep): `{ $t, ctor }`
 * - `more` (breadth cut): `{ $t, count }` as the last element/key `…`
 * - `thrown` (a getter threw): `{ $t, message }`
 * - `object` with a class name: plain keys plus `$ctor`
 * A user's own key `$t` or `$ctor` travels as `$$t` / `$$ctor`, so it is never read as a tag.
 */
export const SERIALIZED_TAGS = [
  'undefined', 'NaN', 'Infinity', '-Infinity', '-0', 'bigint', 'symbol', 'function', 'string',
  'Date', 'RegExp', 'Error', 'Map', 'Set', 'TypedArray', 'node', 'circular', 'depth', 'more',
  'thrown',
] as const;
export type SerializedTag = (typeof SERIALIZED_TAGS)[number];

export const callSiteSchema = z.object({
  file: z.string().max(2048),
  line: z.number().int().nonnegative(),
  col: z.number().int().nonnegative(),
  fn: z.string().max(256).optional(),
});
export type CallSite = z.infer<typeof callSiteSchema>;

export const logEntrySchema = z.object({
  /** Marks the object as a log entry, so viewers can tell it from a chat or dashboard message. */
  kind: z.literal('log'),
  v: z.literal(1),
  level: z.enum(LOG_LEVELS),
  /** The console method or event that produced it: log, table, group, onerror, unhandledrejection, resource, ... */
  method: z.string().max(32),
  args: z.array(z.unknown()).max(100),
  /** Milliseconds since the epoch, by the producer's clock. */
  ts: z.number(),
  /** Per-session sequence number, starting at 1. */
  seq: z.number().int().nonnegative(),
  /** Stable per browser tab (or per process for back ends). */
  session: z.string().min(1).max(128),
  /** Who produced it: `browser`, `node`, `php`, ... */
  origin: z.string().max(32),
  page: z.object({ url: z.string().max(4096), title: z.string().max(1024).optional() }).optional(),
  userAgent: z.string().max(1024).optional(),
  viewport: z.object({ width: z.number(), height: z.number() }).optional(),
  callSite: callSiteSchema.optional(),
  /** Console group depth at the time of the call. */
  group: z.number().int().nonnegative().optional(),
  /** The caller's stack, for `console.trace` and failed `console.assert`. */
  stack: z.string().max(16384).optional(),
  /** Entries the producer dropped (buffer overflow) just before this one. */
  dropped: z.number().int().nonnegative().optional(),
});
export type LogEntry = z.infer<typeof logEntrySchema>;

export function isLogEntry(value: unknown): value is LogEntry {
  return logEntrySchema.safeParse(value).success;
}

/**
 * The log entry a message carries, if any. Entries arrive as objects (hook, postLogs) or as
 * JSON text (back ends pushing through /api/notify, whose `data` is a string). Returns the
 * received value itself, not the validator's copy: viewers keep thousands of entries, and a
 * second copy of each would double their memory.
 */
export function asLogEntry(data: unknown): LogEntry | undefined {
  let value = data;
  if (typeof data === 'string') {
    if (!data.startsWith('{') || !data.includes('"kind"')) return undefined;
    try {
      value = JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  return isLogEntry(value) ? value : undefined;
}
