import type { Guard, LogLevel, Recorder } from './types';

/** Every console method the hook captures, with the level its entries get. */
export const CONSOLE_METHODS: Readonly<Record<string, LogLevel>> = {
  log: 'log',
  info: 'info',
  warn: 'warn',
  error: 'error',
  debug: 'debug',
  trace: 'log',
  table: 'log',
  dir: 'log',
  dirxml: 'log',
  assert: 'error',
  group: 'log',
  groupCollapsed: 'log',
  groupEnd: 'log',
  count: 'log',
  countReset: 'log',
  time: 'log',
  timeLog: 'log',
  timeEnd: 'log',
};

type ConsoleFn = (...args: unknown[]) => void;


interface ConsoleState {
  depth: number;
  counts: Map<string, number>;
  timers: Map<string, number>;
}

function label(args: unknown[]): string {
  return args[0] === undefined ? 'default' : String(args[0]);
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/**
 * What one console call becomes: the arguments to send (or none: `time`, `groupEnd` only
 * change state) and the level. Mirrors what Chromium prints for the same call.
 */
function describe(
  method: string,
  args: unknown[],
  state: ConsoleState,
): { level: LogLevel; args: unknown[]; withStack?: boolean } | undefined {
  const level = CONSOLE_METHODS[method] ?? 'log';
  switch (method) {
    case 'assert': {
      if (args[0]) return undefined;
      const data = args.slice(1);
      if (typeof data[0] === 'string') data[0] = `Assertion failed: ${data[0]}`;
      else data.unshift('Assertion failed');
      return { level, args: data, withStack: true };
    }
    case 'trace':
      return { level, args: args.length ? args : ['console.trace'], withStack: true };
    case 'group':
    case 'groupCollapsed':
      return { level, args: args.length ? args : ['console.group'] };
    case 'groupEnd':
    case 'time':
    case 'countReset':
      return undefined;
    case 'count': {
      const name = label(args);
      const n = (state.counts.get(name) ?? 0) + 1;
      state.counts.set(name, n);
      return { level, args: [`${name}: ${n}`] };
    }
    case 'timeLog':
    case 'timeEnd': {
      const name = label(args);
      const start = state.timers.get(name);
      if (start === undefined) return { level: 'warn', args: [`Timer '${name}' does not exist`] };
      if (method === 'timeEnd') state.timers.delete(name);
      return { level, args: [`${name}: ${(now() - start).toFixed(3)} ms`, ...args.slice(1)] };
    }
    default:
      return { level, args };
  }
}

/** Bookkeeping that happens whether or not the call's level is captured. */
function track(method: string, args: unknown[], state: ConsoleState): void {
  if (method === 'group' || method === 'groupCollapsed') state.depth++;
  else if (method === 'groupEnd') state.depth = Math.max(0, state.depth - 1);
  else if (method === 'time') {
    const name = label(args);
    if (!state.timers.has(name)) state.timers.set(name, now());
  } else if (method === 'countReset') state.counts.delete(label(args));
}

/**
 * Wraps the console methods: each call still reaches the original (the local console keeps
 * printing), and is recorded once. Returns the originals (for the hook's own messages) and
 * an undo function.
 */
export function instrumentConsole(
  con: Console,
  record: Recorder,
  guard: Guard,
  levels: ReadonlySet<LogLevel>,
  /** Frames taken for a call site: the wrapper and the caller, more when files are ignored. */
  callerFrames = 2,
): { originals: Record<string, ConsoleFn>; restore(): void } {
  const state: ConsoleState = { depth: 0, counts: new Map(), timers: new Map() };
  const originals: Record<string, ConsoleFn> = {};
  const wrappers: Record<string, ConsoleFn> = {};
  let active = true;
  const target = con as unknown as Record<string, unknown>;

  for (const method of Object.keys(CONSOLE_METHODS)) {
    const original = target[method];
    if (typeof original !== 'function') continue;
    originals[method] = original as ConsoleFn;
    const wrapper = function (this: unknown, ...args: unknown[]): void {
      if (active && !guard.busy) {
        guard.busy = true;
        try {
          const group = state.depth;
          const what = describe(method, args, state);
          track(method, args, state);
          if (what && levels.has(what.level)) {
            // Made here, in the wrapper, so its first frame is always the wrapper: skip 1. Each
            // frame costs V8 time in this hot path, so only the frames needed are taken.
            const limit = Error.stackTraceLimit;
            Error.stackTraceLimit = what.withStack ? 50 : callerFrames;
            const trace = new Error();
            Error.stackTraceLimit = limit;
            record({ level: what.level, method, args: what.args, trace, skip: 1, group, withStack: what.withStack });
          }
        } catch {
          // The page's console call must go on whatever happened here.
        } finally {
          guard.busy = false;
        }
      }
      return (original as ConsoleFn).apply(this === undefined ? con : this, args);
    };
    wrappers[method] = wrapper;
    try {
      target[method] = wrapper;
    } catch {
      // A frozen console: nothing to capture for this method.
    }
  }

  return {
    originals,
    restore() {
      active = false;
      for (const method of Object.keys(wrappers)) {
        // Put the original back only if nobody wrapped ours since; otherwise ours stays, inert.
        if (target[method] === wrappers[method]) {
          try {
            target[method] = originals[method];
          } catch {
            /* frozen */
          }
        }
      }
    },
  };
}
