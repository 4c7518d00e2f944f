import { createHash, randomBytes } from 'node:crypto';
import { legacyConnectSign, legacyNotifySign } from './legacy';
import { hmacSha256Hex } from './md5';

/**
 * The strong sign ("v2"), beside the contract's md5 signs. It is sent as extra fields, so a
 * legacy client (which never sends `sign_type`) is unaffected:
 *
 *   sign_type = hmac-sha256
 *   ts        = Unix time in seconds (the server accepts it within ± its window, default 300 s)
 *   nonce     = 8–64 characters of [A-Za-z0-9_-], fresh per request (a replay is refused)
 *   sign      = hex(HMAC-SHA256(sign_key, canonical))
 *
 * canonical, one field per line ("\n"), no field may contain a newline:
 *
 *   connect:  "im-v2\nconnect\n" + source + "\n" + room_ids + "\n" + userid + "\n" + ts + "\n" + nonce
 *   notify:   "im-v2\nnotify\n"  + source + "\n" + room_id  + "\n" + sha256_hex(data) + "\n" + ts + "\n" + nonce
 *
 * `room_ids`/`room_id` and `data` exactly as sent (as with the legacy signs). The version tag and
 * the kind keep a connect sign from ever passing as a notify sign or an operator sign.
 */
export const STRONG_SIGN_TYPE = 'hmac-sha256';
export const STRONG_SIGN_VERSION = 'im-v2';
/** What a legacy request may say in `sign_type` (or leave it out). */
export const LEGACY_SIGN_TYPE = 'md5';
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
/** Unix seconds as digits (a 13-digit value is milliseconds and will be refused as stale). */
export const TS_PATTERN = /^\d{1,15}$/;

export type SignKind = 'connect' | 'notify';

export interface StrongConnectFields {
  source: string;
  /** room_ids exactly as they go on the wire (comma-separated). */
  roomIds: string;
  userid: string;
  ts: number | string;
  nonce: string;
}

export interface StrongNotifyFields {
  source: string;
  /** room_id exactly as it goes on the wire (comma-separated). */
  roomId: string;
  data: string;
  ts: number | string;
  nonce: string;
}

export function sha256Hex(input: string): string {
  return createHash('sha256').update(input, 'utf8').digest('hex');
}

/** Throws when a field would make the canonical string ambiguous. */
function line(name: string, value: string): string {
  if (value.includes('\n') || value.includes('\r')) throw new TypeError(`${name} may not contain a line break`);
  return value;
}

/** The version, the kind, then each field's value on its own line (a line break in one throws). */
function canonical(kind: string, fields: ReadonlyArray<readonly [name: string, value: string]>): string {
  return [STRONG_SIGN_VERSION, kind, ...fields.map(([name, value]) => line(name, value))].join('\n');
}

export function strongConnectCanonical(f: StrongConnectFields): string {
  return canonical('connect', [['source', f.source], ['room_ids', f.roomIds], ['userid', f.userid], ['ts', String(f.ts)], ['nonce', f.nonce]]);
}

export function strongNotifyCanonical(f: StrongNotifyFields): string {
  return canonical('notify', [['source', f.source], ['room_id', f.roomId], ['sha256(data)', sha256Hex(f.data)], ['ts', String(f.ts)], ['nonce', f.nonce]]);
}

/** One message of a batch signed as a whole (`POST /api/notify/batch`). */
export interface StrongBatchMessage {
  /** room_id exactly as it goes on the wire. */
  roomId: string;
  data: string;
}

export interface StrongBatchFields {
  source: string;
  messages: readonly StrongBatchMessage[];
  ts: number | string;
  nonce: string;
}

/**
 * A batch signed as a whole: the notify lines with the kind `notify-batch`, the number of
 * messages, and each message's room_id and sha256_hex(data), in order:
 *
 *   "im-v2\nnotify-batch\n" + source + "\n" + ts + "\n" + nonce + "\n" + count
 *     + ("\n" + room_id + "\n" + sha256_hex(data)) for each message
 */
export function strongBatchCanonical(f: StrongBatchFields): string {
  const lines = [STRONG_SIGN_VERSION, 'notify-batch', line('source', f.source), line('ts', String(f.ts)), line('nonce', f.nonce), String(f.messages.length)];
  f.messages.forEach((m, i) => lines.push(line(`messages[${i}].room_id`, m.roomId), sha256Hex(m.data)));
  return lines.join('\n');
}

export function strongBatchSign(signKey: string, f: StrongBatchFields): string {
  return hmacSha256Hex(signKey, strongBatchCanonical(f));
}

export function strongConnectSign(signKey: string, f: StrongConnectFields): string {
  return hmacSha256Hex(signKey, strongConnectCanonical(f));
}

export function strongNotifySign(signKey: string, f: StrongNotifyFields): string {
  return hmacSha256Hex(signKey, strongNotifyCanonical(f));
}

/** 128 random bits as 32 hex characters. */
export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

export function unixSeconds(ms: number = Date.now()): number {
  return Math.floor(ms / 1000);
}

/** What `signRequest` needs; `scheme` defaults to `strong`. */
export type SignRequest =
  | {
      kind: 'connect';
      source: string;
      roomIds: string;
      userid: string;
      signKey: string;
      scheme?: 'strong' | 'legacy';
      /** Unix seconds; default now. */
      ts?: number;
      /** Default: a fresh random nonce. */
      nonce?: string;
    }
  | {
      kind: 'notify';
      source: string;
      roomId: string;
      data: string;
      signKey: string;
      scheme?: 'strong' | 'legacy';
      ts?: number;
      nonce?: string;
    };

/**
 * The fields to send, ready for a query string (connect) or a form/JSON body (notify):
 * the request's own fields plus `sign` (and, for the strong scheme, `sign_type`, `ts`, `nonce`).
 * Used by the SDK's Node entry and by `im-debug sign`.
 */
export function signRequest(req: SignRequest): Record<string, string> {
  const scheme = req.scheme ?? 'strong';
  if (req.kind === 'connect') {
    const base = { source: req.source, room_ids: req.roomIds, userid: req.userid };
    if (scheme === 'legacy') return { ...base, sign: legacyConnectSign(req.source, req.roomIds, req.signKey) };
    const ts = String(req.ts ?? unixSeconds());
    const nonce = req.nonce ?? newNonce();
    const sign = strongConnectSign(req.signKey, { source: req.source, roomIds: req.roomIds, userid: req.userid, ts, nonce });
    return { ...base, sign_type: STRONG_SIGN_TYPE, ts, nonce, sign };
  }
  const base = { source: req.source, room_id: req.roomId, data: req.data };
  if (scheme === 'legacy') return { ...base, sign: legacyNotifySign(req.source, req.roomId, req.data, req.signKey) };
  const ts = String(req.ts ?? unixSeconds());
  const nonce = req.nonce ?? newNonce();
  const sign = strongNotifySign(req.signKey, { source: req.source, roomId: req.roomId, data: req.data, ts, nonce });
  return { ...base, sign_type: STRONG_SIGN_TYPE, ts, nonce, sign };
}
