import type { CallSite, Message } from '../../packages/protocol';

/** Where a source-mapped `file:line:col` rides on a received message: a symbol, so `--json` and the JSON view still show the message exactly as received. */
export const MAPPED_CALL_SITE = Symbol.for('im-debug.mapped-call-site');
/** Stacks of a message (console.trace, Error values) through source maps: stack as received → mapped text. */
export const MAPPED_STACKS = Symbol.for('im-debug.mapped-stacks');

/** The mapped call site of a message, if source maps gave one. */
export function mappedCallSite(message: Message): CallSite | undefined {
  return (message as unknown as Record<symbol, CallSite | undefined>)[MAPPED_CALL_SITE];
}

/** A stack of a message as source maps put it, or the text as received. */
export function mappedStack(message: Message | undefined, stack: string): string {
  const stacks = message && (message as unknown as Record<symbol, Map<string, string> | undefined>)[MAPPED_STACKS];
  return stacks?.get(stack) ?? stack;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * The stack texts in an entry: its own `stack` and those of Error values in its arguments
 * (causes, AggregateError members, nested in objects), bounded in depth and count.
 */
export function stacksIn(data: unknown, max = 50): string[] {
  const out: string[] = [];
  const walk = (v: unknown, depth: number) => {
    if (out.length >= max || depth > 8 || !isObject(v)) return;
    if (v.$t === 'Error' && typeof v.stack === 'string') out.push(v.stack);
    for (const x of Array.isArray(v) ? v : Object.values(v)) walk(x, depth + 1);
  };
  if (isObject(data) && typeof data.stack === 'string') out.push(data.stack);
  if (isObject(data) && Array.isArray(data.args)) walk(data.args, 0);
  return out;
}

/** A copy of a value with its Error stacks through source maps, for display only (the message stays as received). */
export function withMappedStacks(value: unknown, message: Message | undefined, depth = 0): unknown {
  if (!message || !(message as unknown as Record<symbol, unknown>)[MAPPED_STACKS] || depth > 8 || !isObject(value)) return value;
  if (Array.isArray(value)) return value.map((x) => withMappedStacks(x, message, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(value)) copy[k] = withMappedStacks(x, message, depth + 1);
  if (value.$t === 'Error' && typeof value.stack === 'string') copy.stack = mappedStack(message, value.stack);
  return copy;
}
