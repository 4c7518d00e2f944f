import { z } from 'zod';

/**
 * The `history` request, one schema for every path that takes it (the socket event, GET
 * /api/history) and every client that sends it; the type is inferred from it.
 */
export const historyRequestSchema = z
  .object({
    room_id: z.string().min(1),
    /** Return messages after this offset (exclusive), within `epoch`. */
    since: z.number().int().nonnegative().optional(),
    epoch: z.string().max(64).optional(),
    /** Or: return messages accepted at or after this time (ms since the epoch). */
    sinceTime: z.number().nonnegative().optional(),
    /** At most this many, newest last (default and cap set by the server). */
    limit: z.number().int().positive().optional(),
  })
  .strict();

export type HistoryRequest = z.infer<typeof historyRequestSchema>;

/** A message as a reader receives it (`newMsg`, history): loose, so fields added later pass. */
export const messageSchema = z.looseObject({
  source: z.string(),
  room_id: z.string(),
  data: z.unknown(),
  offset: z.number().optional(),
  epoch: z.string().optional(),
  ts: z.number().optional(),
});

export const historyResultSchema = z.object({
  room_id: z.string(),
  epoch: z.string(),
  messages: z.array(messageSchema),
  /** True when the requested position is older than what the server still keeps. */
  truncated: z.boolean(),
  /**
   * Present when the answer was cut (at the server's byte cap per answer, or its message
   * count): send it back as the next `history` request to read on, oldest first. Absent: this
   * answer reached the room's newest message (or the newest of a `limit`/`sinceTime` read).
   */
  next: z.object({ room_id: z.string(), since: z.number(), epoch: z.string(), limit: z.number().optional() }).optional(),
});

/** The answer to an acknowledged event whose result is `result` (`{ok: true, result}` or `{ok: false, error}`). */
export function ackResultSchema<T extends z.ZodType>(result: T) {
  return z.union([
    z.object({ ok: z.literal(true), result }),
    z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
  ]);
}

/** A zod error as one line for an error message: `path: reason; path: reason`. */
export function zodMessage(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ');
}
