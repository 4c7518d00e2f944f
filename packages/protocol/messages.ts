import { z } from 'zod';
import { ImError, LEGACY_MESSAGES } from './errors';
import { DEFAULT_LIMITS, FILENAME_PATTERN, ROOM_ID_PATTERN } from './limits';

const messageShape = {
  source: z.string(),
  data: z.unknown(),
  room_id: z.string(),
  /** Position in the room's stream (present when the server keeps room history). */
  offset: z.number().optional(),
  /** The stream's epoch: offsets are comparable only within one epoch. */
  epoch: z.string().optional(),
  /** Server time the message was accepted, ms since the epoch. */
  ts: z.number().optional(),
};

/**
 * What every client receives as `newMsg` (and in a history answer): one object per room it was
 * delivered through. Loose: fields a newer server adds pass through to the reader.
 */
export const messageSchema = z.looseObject(messageShape);

/** The schema's fields (its output without the pass-through of unknown keys). */
type MessageFields = z.output<z.ZodObject<typeof messageShape>>;

/** A message (see `messageSchema`); `T` is the type of `data` when the application knows it. */
export interface Message<T = unknown> extends Omit<MessageFields, 'data'> {
  data: T;
}

/**
 * A received value as a message: itself when it has the shape of one (the value as received,
 * so nothing is lost when a viewer prints it as JSON); anything else becomes a plain message
 * carrying it, so nothing is dropped either.
 */
export function asMessage(raw: unknown): Message {
  if (messageSchema.safeParse(raw).success) return raw as Message;
  return { source: '', room_id: '', data: raw };
}

/**
 * A query-string or form field: Express and Socket.IO hand over `string | string[]` (or
 * nested objects); only a single string is a value.
 */
export const fieldSchema = z.union([z.string(), z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional();

/** Returns the field as a string, '' when absent; refuses repeated or nested fields. */
export function singleField(value: unknown, name: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ImError('INVALID_PARAMETER', `${name} must be a single string value`);
}

/**
 * Parses a comma-separated room list (`r1,r2`). Blank items are ignored, duplicates merged,
 * every id checked. An empty list is the contract's "can not be null" error.
 */
export function parseRoomList(
  raw: string,
  opts: { max: number; maxLength?: number; emptyMessage: string },
): string[] {
  const rooms = [...new Set(raw.split(',').map((r) => r.trim()).filter((r) => r !== ''))];
  if (rooms.length === 0) throw new ImError('ROOMS_REQUIRED', opts.emptyMessage);
  if (rooms.length > opts.max) {
    throw new ImError('TOO_MANY_ROOMS', `too many rooms: ${rooms.length} given, at most ${opts.max} allowed`);
  }
  const maxLength = opts.maxLength ?? DEFAULT_LIMITS.maxRoomIdLength;
  for (const room of rooms) {
    if (room.length > maxLength) {
      throw new ImError('INVALID_ROOM', `room id "${room.slice(0, 40)}…" is longer than ${maxLength} characters`);
    }
    if (!ROOM_ID_PATTERN.test(room)) {
      throw new ImError(
        'INVALID_ROOM',
        `room id ${JSON.stringify(room)} has characters that are not allowed (letters, digits and _ - . : @ # / + = ~ only)`,
      );
    }
  }
  return rooms;
}

/** Checks a `filename` for the message log: a plain name, never a path. '' means the default. */
export function parseLogFilename(raw: string, maxLength: number = DEFAULT_LIMITS.maxFilenameLength): string {
  if (raw === '') return 'msg.log';
  if (raw.length > maxLength) {
    throw new ImError('INVALID_FILENAME', `filename is longer than ${maxLength} characters`);
  }
  if (!FILENAME_PATTERN.test(raw) || raw.includes('..')) {
    throw new ImError(
      'INVALID_FILENAME',
      'filename may hold only letters, digits, "_", "-" and "." (no path separators, no "..", no leading dot)',
    );
  }
  return raw;
}

export const LEGACY_ROOM_ERRORS = {
  connect: LEGACY_MESSAGES.roomIdsRequired,
  notify: LEGACY_MESSAGES.roomIdRequired,
} as const;
