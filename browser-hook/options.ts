import type { SerializeLimits } from '../packages/log-core';
import type { TransportStatus } from './transport';
import type { DebugEntry, LogLevel } from './instrument/types';

/** What `install()` takes and answers with. */

export const ALL_LEVELS: readonly LogLevel[] = ['debug', 'log', 'info', 'warn', 'error'];

export interface InstallOptions {
  /** The relay server, e.g. `https://im.example.com:4000`. Default: this page's origin. */
  server?: string;
  /** Default `remote_debug`. */
  source?: string;
  /** Room (or comma-separated rooms) to publish to. Default `console-log`. */
  room?: string;
  /**
   * A publish-only token (`publishToken(sign_key, source, room)`), for sources that do not take
   * unsigned hook publishes. It lets the page publish, never read.
   */
  credential?: string;
  /** Levels to send (others still print locally). Default: all. A string is comma-separated. */
  levels?: readonly LogLevel[] | string;
  /** Session name shown in viewers. Default: a random id kept per tab in sessionStorage. */
  session?: string;
  /** Sent as the connection's userid / username (server logs). */
  userid?: string;
  username?: string;
  /**
   * Last look at each entry before it is sent (at send time, not at the console call): return
   * the entry (changed or not) to send it, or null/false to drop it. Runs guarded: console calls
   * inside it are not captured, and if it throws the entry is sent unchanged. Network entries
   * (`kind: 'network'`) come here already redacted; performance entries too.
   */
  beforeSend?: (entry: DebugEntry) => DebugEntry | null | false | undefined | void;
  /** Entries kept while offline; past it the oldest go (and the next entry says how many). Default 1000. */
  bufferSize?: number;
  /** Entries per postLogs. Default 50 (the server takes at most 100). */
  batchSize?: number;
  /** How long to gather entries before sending, ms. Default 100. */
  flushDelayMs?: number;
  /** Largest entry, bytes of JSON: larger ones have their arguments cut. Default 32000 (the server's hook default is 32 KiB). */
  maxEntryBytes?: number;
  serialize?: Partial<SerializeLimits>;
  /** What to capture. Default: all true. */
  captureConsole?: boolean;
  captureErrors?: boolean;
  captureRejections?: boolean;
  captureResources?: boolean;
  /** fetch, XHR, sendBeacon, WebSocket and EventSource, plus what loaded before the hook. Default true. */
  captureNetwork?: boolean;
  /**
   * Keep request and response bodies of text types, up to this many bytes each (`true`: 8192,
   * the most). Default off: bodies often hold what must not leave the page.
   */
  networkBodies?: boolean | number;
  /** LCP, CLS, INP, long tasks and navigation timing. Default true. */
  capturePerformance?: boolean;
  /** Files whose frames are never a call site (e.g. your own logging wrapper). */
  ignoreFiles?: readonly string[];
  /** The hook script's own URL (set by the script-tag entry): its frames are never a call site. */
  ownFile?: string;
}

/** `install()` answers with this: call it to uninstall. */
export interface RemoteDebug {
  (): void;
  uninstall(): void;
  /** Sends buffered entries now, if connected. */
  flush(): void;
  status(): HookStatus;
  readonly session: string;
}

export interface HookStatus extends TransportStatus {
  session: string;
  /** Entries recorded since install. */
  recorded: number;
}

/** Largest body kept with `networkBodies`. */
export const MAX_BODY_BYTES = 8192;

/** `networkBodies` as bytes kept per body: 0 (off), or at most MAX_BODY_BYTES. */
export function bodyLimit(bodies: InstallOptions['networkBodies']): number {
  return bodies === true ? MAX_BODY_BYTES : typeof bodies === 'number' && bodies > 0 ? Math.min(Math.floor(bodies), MAX_BODY_BYTES) : 0;
}

export function parseLevels(levels: InstallOptions['levels']): Set<LogLevel> {
  if (levels === undefined) return new Set(ALL_LEVELS);
  const list = typeof levels === 'string' ? levels.split(',').map((l) => l.trim()) : levels;
  return new Set(ALL_LEVELS.filter((l) => list.includes(l)));
}
