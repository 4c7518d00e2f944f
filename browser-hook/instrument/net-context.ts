import type { Guard, NetCapture } from './types';

/** What every network instrument is given (see network.ts for the rules they keep). */
export interface NetContext {
  guard: Guard;
  emit(capture: NetCapture): void;
  /** The hook's own traffic (its relay connection): never captured. */
  ignore(absoluteUrl: string): boolean;
  /** Largest body kept, bytes; 0 keeps none (the default). */
  maxBody: number;
  /** Frames taken for the initiator's call site. */
  frames: number;
}

export type Fn = (...args: unknown[]) => unknown;

export const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * An Error made in a wrapper, parsed only when the entry is sent. Its first frames are the
 * hook's (this helper, the trap, a callback): they are skipped as frames of the hook's own
 * file, so a few spare frames are taken.
 */
export function trace(frames: number): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = frames + 3;
  const e = new Error();
  Error.stackTraceLimit = limit;
  return e;
}

export function absolute(win: Window, url: unknown): string {
  try {
    return new URL(String(url), win.document?.baseURI || win.location.href).href;
  } catch {
    return String(url);
  }
}
