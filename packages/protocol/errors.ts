import { z } from 'zod';

/** Machine-readable error codes, shared by the server, the SDK, the hook and the viewer. */
export const ERROR_CODES = [
  'SOURCE_REQUIRED',
  'SIGN_REQUIRED',
  'ROOMS_REQUIRED',
  'USERID_REQUIRED',
  'USERNAME_REQUIRED',
  'DATA_REQUIRED',
  'UNKNOWN_SOURCE',
  'BAD_SIGN',
  'STALE_TIMESTAMP',
  'REPLAYED_SIGN',
  'INVALID_ROOM',
  'TOO_MANY_ROOMS',
  'INVALID_FILENAME',
  'INVALID_PARAMETER',
  'PAYLOAD_TOO_LARGE',
  'FORBIDDEN',
  'RATE_LIMITED',
  /** A connection cap (per address, per user, unsigned hooks per address or per source) is full. */
  'TOO_MANY_CONNECTIONS',
  'NOT_FOUND',
  'UNAVAILABLE',
  'INTERNAL',
  // A notice, not a refusal: the connection was closed because it did not read what was sent
  // to it (output budget); it is told on its next handshake (`sys_notice`).
  'SLOW_CONSUMER',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The HTTP status each code answers with. */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  SOURCE_REQUIRED: 400,
  SIGN_REQUIRED: 400,
  ROOMS_REQUIRED: 400,
  USERID_REQUIRED: 400,
  USERNAME_REQUIRED: 400,
  DATA_REQUIRED: 400,
  UNKNOWN_SOURCE: 403,
  BAD_SIGN: 401,
  STALE_TIMESTAMP: 401,
  REPLAYED_SIGN: 401,
  INVALID_ROOM: 400,
  TOO_MANY_ROOMS: 400,
  INVALID_FILENAME: 400,
  INVALID_PARAMETER: 400,
  PAYLOAD_TOO_LARGE: 413,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  TOO_MANY_CONNECTIONS: 429,
  NOT_FOUND: 404,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  SLOW_CONSUMER: 503,
};

/**
 * The wire shape of an error: in `connect_error.data`, in acks and in HTTP bodies (`error`). A
 * code this version does not know (a newer server's) reads as INTERNAL, its message kept: a
 * viewer shows what the server said instead of "unexpected answer".
 */
export const errorPayloadSchema = z.object({ code: z.enum(ERROR_CODES).catch('INTERNAL'), message: z.string() });
export type ErrorPayload = z.infer<typeof errorPayloadSchema>;

/** The one error class of the project: a code, its HTTP status and a human message. */
export class ImError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ImError';
    this.code = code;
    this.status = ERROR_STATUS[code];
  }

  toJSON(): ErrorPayload {
    return { code: this.code, message: this.message };
  }
}

/** The codes a `sys_notice` carries (a subset of ERROR_CODES: notices, not refusals). */
export const NOTICE_CODES = ['SLOW_CONSUMER'] as const satisfies readonly ErrorCode[];

/**
 * A non-fatal notice from the server (`sys_notice`), sent right after a connect. Clients that
 * do not know the event ignore it; those that do tell the user.
 */
export const noticePayloadSchema = z.object({ code: z.enum(NOTICE_CODES), message: z.string() });
export type NoticePayload = z.infer<typeof noticePayloadSchema>;

export function isImError(err: unknown): err is ImError {
  return err instanceof ImError;
}

/**
 * Any failure as the error a client is told (HTTP batch results, socket acks, `connect_error`,
 * guard refusals): an ImError as it is, anything else INTERNAL, its details left to the server log.
 */
export function toImError(err: unknown): ImError {
  return err instanceof ImError ? err : new ImError('INTERNAL', 'internal server error');
}

/**
 * The contract's messages, kept byte for byte (typos included) because existing
 * pages and back ends compare against them.
 */
export const LEGACY_MESSAGES = {
  sourceRequired: 'source can not be null!',
  connectSignRequired: 'cilent connect sign can not be null!',
  roomIdsRequired: 'room_ids can not be null!',
  unknownSource: 'this source can not be configured!',
  connectSignFailed: 'sign verify failed!',
  dataRequired: 'data can not be null!',
  signRequired: 'sign can not be null!',
  roomIdRequired: 'room_id can not be null!',
  notifySignFailed: 'api notify sign verify failed!',
  notifyOk: 'message notify successed!',
} as const;

/** A zod error as one line for an error message: `path: reason; path: reason`. */
export function zodMessage(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ');
}
