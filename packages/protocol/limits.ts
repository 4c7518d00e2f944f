/** Defaults for every limit; each can be changed in the server configuration. */
export const DEFAULT_LIMITS = {
  /** Largest JSON-encoded `data` of one message (postMsg or notify), in bytes. */
  maxMessageBytes: 64 * 1024,
  /** Largest HTTP body accepted by /api/notify, in bytes. */
  maxBodyBytes: 256 * 1024,
  /** Rooms one message may be addressed to. */
  maxRoomsPerMessage: 50,
  /** Rooms one connection may join. */
  maxRoomsPerConnection: 50,
  /** Longest room id, in characters. */
  maxRoomIdLength: 128,
  /** Longest `filename`, in characters. */
  maxFilenameLength: 100,
  /** Longest ext_info, in characters. */
  maxExtInfoLength: 4096,
  /** Messages one `POST /api/notify/batch` may carry. */
  maxBatchMessages: 500,
  /** Largest HTTP body of a `POST /api/notify/batch`, in bytes. */
  maxBatchBodyBytes: 4 * 1024 * 1024,
} as const;

export type Limits = { -readonly [K in keyof typeof DEFAULT_LIMITS]: number };

/** Source names: letters, digits, `_`, `-`, `.`. `:` never appears, so it separates source and room. */
export const SOURCE_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** Room ids: letters and digits of any script and a few punctuation marks; never `,` (the list separator). */
export const ROOM_ID_PATTERN = /^[\p{L}\p{N}_\-.:@#/+=~]+$/u;

/** Log file names: a fixed, boring character set; no separators, no leading dot. */
export const FILENAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
