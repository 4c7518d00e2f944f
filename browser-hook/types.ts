import type { CallSite, LogEntry, LogLevel } from '../packages/protocol/log-entry';

export type { CallSite, LogEntry, LogLevel };

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
