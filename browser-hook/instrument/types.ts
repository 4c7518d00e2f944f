import type { CallSite, DebugEntry, LogEntry, LogLevel } from '../../packages/protocol';

export type { CallSite, DebugEntry, LogEntry, LogLevel };

/** What an instrument reports; the recorder adds the session, sequence, page and time. */
export interface Capture {
  level: LogLevel;
  method: string;
  /** Raw values, serialized by the recorder. */
  args: ArrayLike<unknown>;
  /** An Error made inside the hook's wrapper: its stack is parsed when the entry is sent, off the hot path. */
  trace?: Error;
  /** Frames of `trace` that belong to the hook (the wrapper itself). */
  skip?: number;
  /** A call site already known (error events). */
  callSite?: CallSite;
  /** Attach the caller's stack (console.trace, failed assert). */
  withStack?: boolean;
  /** Console group depth at the call. */
  group?: number;
}

export type Recorder = (capture: Capture) => void;

/** Set while the hook is doing its own work, so anything it triggers is not captured again. */
export interface Guard {
  busy: boolean;
}

import type { NetworkEntry, PerformanceEntryData } from '../../packages/protocol';

export type { NetworkEntry, PerformanceEntryData };

/** The fields every entry gets from the recorder (session, sequence, page, time, ...). */
type Common = 'kind' | 'v' | 'level' | 'ts' | 'seq' | 'session' | 'origin' | 'page' | 'userAgent' | 'viewport' | 'callSite' | 'dropped';

/** What the network instrument reports: a request's facts, unredacted (the recorder redacts). */
export type NetCapture = Omit<NetworkEntry, Common> & {
  /** performance.now() at the start, for durations and the Resource Timing match. */
  t0?: number;
  /** Made in the wrapper: its caller is the initiator's call site. */
  trace?: Error;
};

/** What the performance instrument reports. */
export type PerfCapture = Omit<PerformanceEntryData, Common> & { level?: LogLevel };
