import { z } from 'zod';
import { errorPayloadSchema } from './errors';

/**
 * The answer to an acknowledged client event: `{ok: true}` (or `{ok: true, result}`) or
 * `{ok: false, error: {code, message}}`. The server builds it in one place (the socket layer's
 * `guarded`); readers parse it with these schemas, and the types below are inferred from them.
 */

/** A refusal: `{ok: false, error: {code, message}}`, the code one of ERROR_CODES. */
export const ackErrorSchema = z.object({ ok: z.literal(false), error: errorPayloadSchema });
export type AckError = z.infer<typeof ackErrorSchema>;

/** The answer to an event without a result (postMsg, postLogs, clientInfo, pageView). */
export const ackSchema = z.union([z.object({ ok: z.literal(true) }), ackErrorSchema]);

/** The answer to an event whose result is `result` (history: `ackResultSchema(historyResultSchema)`). */
export function ackResultSchema<T extends z.ZodType>(result: T) {
  return z.union([z.object({ ok: z.literal(true), result }), ackErrorSchema]);
}

/**
 * The answer to any acknowledged client event: what `ackSchema` (no result) or
 * `ackResultSchema(schema of T)` accepts. The refusal is the schema's type; the success side is
 * written out so that a handler generic in `T` can answer a refusal (test/unit/protocol-schemas
 * checks both sides against the schemas).
 */
export type AckResult<T = undefined> = (T extends undefined ? { ok: true } : { ok: true; result: T }) | AckError;

export type Ack<T = undefined> = (result: AckResult<T>) => void;
