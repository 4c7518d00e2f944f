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

/** Fields every remote-debug entry has, whatever its kind. */
const entryCommon = {
  v: z.literal(1),
  level: z.enum(LOG_LEVELS),
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
  /** Entries the producer dropped (buffer overflow) just before this one. */
  dropped: z.number().int().nonnegative().optional(),
};

export const logEntrySchema = z.object({
  /** Marks the object as a log entry, so viewers can tell it from a chat or dashboard message. */
  kind: z.literal('log'),
  ...entryCommon,
  /** The console method or event that produced it: log, table, group, onerror, unhandledrejection, resource, ... */
  method: z.string().max(32),
  args: z.array(z.unknown()).max(100),
  /** Console group depth at the time of the call. */
  group: z.number().int().nonnegative().optional(),
  /** The caller's stack, for `console.trace` and failed `console.assert`. */
  stack: z.string().max(16384).optional(),
});
export type LogEntry = z.infer<typeof logEntrySchema>;

/** How a request was made; `resource` and `navigation` are loads seen in Resource/Navigation Timing. */
export const NETWORK_TYPES = ['fetch', 'xhr', 'beacon', 'eventsource', 'websocket', 'resource', 'navigation'] as const;
export type NetworkType = (typeof NETWORK_TYPES)[number];

/** A byte count, or `unknown` when neither Content-Length nor Resource Timing says (bodies are never read to size them). */
const size = z.union([z.number().nonnegative(), z.literal('unknown')]);
const headers = z.record(z.string().max(256), z.string().max(8192));

/**
 * One request of the page (`kind: 'network'`), sent when it ends (or, for WebSocket and
 * EventSource, at open, error and close). Header values and URL parameters that carry
 * credentials are `[redacted]` by the hook before the entry leaves the page. `level` is `error`
 * for failures and 5xx, `warn` for 4xx, `info` otherwise, so level filters work on it.
 * Viewers that predate this kind show it as a plain message row.
 */
export const networkEntrySchema = z.object({
  kind: z.literal('network'),
  ...entryCommon,
  type: z.enum(NETWORK_TYPES),
  /** HTTP method (GET for WebSocket/EventSource/resources). */
  method: z.string().max(32),
  url: z.string().max(4096),
  /** HTTP status when there was one (0 or absent when the request failed). */
  status: z.number().int().nonnegative().optional(),
  statusText: z.string().max(256).optional(),
  /** Why there is no response: `aborted`, `timeout`, `network error` (refused, CORS, DNS: browsers do not tell them apart), ... */
  failure: z.string().max(256).optional(),
  /** WebSocket/EventSource lifecycle step: open, error, close. */
  event: z.enum(['open', 'error', 'close']).optional(),
  /** Start, ms since the epoch. */
  start: z.number(),
  /** ms from start to the end (or to the response headers when the end is not known). */
  duration: z.number().nonnegative().optional(),
  requestSize: size.optional(),
  responseSize: size.optional(),
  requestHeaders: headers.optional(),
  responseHeaders: headers.optional(),
  /** Only with `data-network-bodies`: text bodies, cut to the hook's limit (8 KB). */
  requestBody: z.string().max(65536).optional(),
  responseBody: z.string().max(65536).optional(),
  bodyTruncated: z.boolean().optional(),
  /** Resource Timing phases, ms: dns, connect, tls, ttfb (request start to first byte), download. */
  timing: z.record(z.string().max(32), z.number()).optional(),
  /** WebSocket/EventSource traffic so far: message counts and sizes (never their contents). */
  messages: z
    .object({ sent: z.number().int().nonnegative(), received: z.number().int().nonnegative(), sentBytes: z.number().nonnegative(), receivedBytes: z.number().nonnegative() })
    .partial()
    .optional(),
  /** WebSocket close code and reason. */
  code: z.number().int().optional(),
  reason: z.string().max(256).optional(),
  /** Made before the hook loaded: known from Resource/Navigation Timing only. */
  beforeHook: z.boolean().optional(),
  /** Resource Timing's initiatorType (script, img, css, fetch, ...). */
  initiator: z.string().max(64).optional(),
});
export type NetworkEntry = z.infer<typeof networkEntrySchema>;

export const PERFORMANCE_METRICS = ['LCP', 'CLS', 'INP', 'FCP', 'TTFB', 'longtask', 'navigation'] as const;
export type PerformanceMetric = (typeof PERFORMANCE_METRICS)[number];

/**
 * A performance measurement of the page (`kind: 'performance'`): a Core Web Vital (LCP, CLS, INP,
 * sent once final or when it changes), a long task, or the navigation timing (TTFB,
 * DOMContentLoaded, load). `value` is ms except CLS (unitless).
 */
export const performanceEntrySchema = z.object({
  kind: z.literal('performance'),
  ...entryCommon,
  metric: z.enum(PERFORMANCE_METRICS),
  value: z.number(),
  /** web.dev thresholds: good, needs-improvement, poor. */
  rating: z.enum(['good', 'needs-improvement', 'poor']).optional(),
  /** Extra numbers or words: navigation's ttfb/domContentLoaded/load, the LCP element, the INP event, ... */
  detail: z.record(z.string().max(64), z.union([z.number(), z.string().max(512)])).optional(),
});
export type PerformanceEntryData = z.infer<typeof performanceEntrySchema>;

/** Every kind of remote-debug entry. New kinds get a new `kind`; a changed shape a new `v`. */
export const debugEntrySchema = z.discriminatedUnion('kind', [logEntrySchema, networkEntrySchema, performanceEntrySchema]);
export type DebugEntry = z.infer<typeof debugEntrySchema>;

/** Entries one `postLogs` may carry. */
export const MAX_ENTRIES_PER_POST = 100;

/** The entries of a `postLogs`: every kind (log, network, performance), 1 to MAX_ENTRIES_PER_POST. */
export const postLogsEntriesSchema = z.array(debugEntrySchema).min(1).max(MAX_ENTRIES_PER_POST);
export type PostLogsEntries = z.infer<typeof postLogsEntriesSchema>;

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
  const value = entryValue(data);
  return isLogEntry(value) ? value : undefined;
}

/** A message's data as an object that may be an entry: itself, or its JSON text parsed. */
function entryValue(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  if (!data.startsWith('{') || !data.includes('"kind"')) return undefined;
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/**
 * Any remote-debug entry a message carries (log, network, performance), like asLogEntry.
 * Unknown kinds and versions are undefined: viewers show those as plain rows.
 */
export function asDebugEntry(data: unknown): DebugEntry | undefined {
  const value = entryValue(data);
  return debugEntrySchema.safeParse(value).success ? (value as DebugEntry) : undefined;
}
