import { z } from 'zod';
import { ackResultSchema, type AckResult } from './acks';
import { asMessage, messageSchema, type Message } from './messages';

/**
 * The `history` request, one schema for every path that takes it (the socket event, GET
 * /api/history through `historyQuerySchema`) and every client that sends it; the type is
 * inferred from it.
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

/** A number in a query string ('' or absent: not given). */
const queryNumber = z
  .string()
  .regex(/^(\d+(\.\d+)?)?$/, 'must be a number ≥ 0')
  .optional()
  .transform((t) => (t ? Number(t) : undefined));
const queryText = z
  .string()
  .optional()
  .transform((t) => t || undefined);

/**
 * GET /api/history's query fields (text, each a single value) as a history request: the numbers
 * read from their text, then the same rules as the socket's `history` event.
 */
export const historyQuerySchema = z
  .object({ room_id: z.string(), since: queryNumber, epoch: queryText, sinceTime: queryNumber, limit: queryNumber })
  .transform((q) => Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)))
  .pipe(historyRequestSchema);

const request = historyRequestSchema.shape;

/** Where to read on: the next `history` request, from a position (and with the limit asked for). */
export const historyCursorSchema = z.object({
  room_id: request.room_id,
  since: request.since.unwrap(),
  epoch: request.epoch.unwrap(),
  limit: request.limit,
});

/** The answer to a `history` request (in its ack, and as GET /api/history's `data`). */
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
  next: historyCursorSchema.optional(),
});

/** A history answer (see `historyResultSchema`), its messages typed as `Message`. */
export interface HistoryResult extends Omit<z.infer<typeof historyResultSchema>, 'messages'> {
  messages: Message[];
}

/** The ack of a `history` request. */
export const historyAckSchema = ackResultSchema(historyResultSchema);

// As historyAckSchema, but messages are checked one by one (asMessage keeps an odd one as a
// plain message) rather than the whole answer refused for one.
const readerHistoryAckSchema = ackResultSchema(historyResultSchema.extend({ messages: z.array(z.unknown()) }));

/**
 * The ack of a `history` request as a viewer reads it; undefined when the answer is not one
 * (the viewer then says so, and shows live messages only).
 */
export function readHistoryAck(raw: unknown): AckResult<HistoryResult> | undefined {
  const parsed = readerHistoryAckSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  if (!parsed.data.ok) return parsed.data;
  return { ok: true, result: { ...parsed.data.result, messages: parsed.data.result.messages.map(asMessage) } };
}
