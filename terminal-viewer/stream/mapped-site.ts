import type { CallSite, Message } from '../../packages/protocol';

/** Where a source-mapped `file:line:col` rides on a received message: a symbol, so `--json` and the JSON view still show the message exactly as received. */
export const MAPPED_CALL_SITE = Symbol.for('im-debug.mapped-call-site');

/** The mapped call site of a message, if source maps gave one. */
export function mappedCallSite(message: Message): CallSite | undefined {
  return (message as unknown as Record<symbol, CallSite | undefined>)[MAPPED_CALL_SITE];
}
