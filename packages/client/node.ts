/**
 * Node-only helpers for code that knows a source's sign key (back ends, scripts, tests): build
 * the signed connect URL for `createClient` and signed `/api/notify` bodies. Never ship a sign
 * key to a browser; pages get their connect URL (with its sign) from their back end.
 */
import { newNonce, signRequest, STRONG_SIGN_TYPE, strongBatchSign, unixSeconds } from '../signing';
import { createClient } from './client';
import type { ClientOptions, ImClient } from './client-options';

export type SignScheme = 'legacy' | 'strong';

export interface ConnectParams {
  /** Server base URL, e.g. `http://127.0.0.1:4000`. */
  url: string;
  source: string;
  signKey: string;
  /** Room ids: a list or the contract's comma-separated string. */
  rooms: string | readonly string[];
  userid: string;
  username: string;
  /** Free text or JSON about the client (the contract's `ext_info`). */
  extInfo?: string;
  /** Send the contract's `watch_quit=1`. */
  watchQuit?: boolean;
  /**
   * `legacy` (default): the contract's md5(source + room_ids + key), accepted by every server.
   * `strong`: HMAC-SHA256 with ts and nonce (see packages/signing/strong.ts), accepted once:
   * `connectSigned` signs every (re)connect attempt afresh through Socket.IO's `auth`, while a
   * `signedConnectUrl` is good for one connection only (a reconnect with it is REPLAYED_SIGN).
   */
  scheme?: SignScheme;
}

/** The strong sign's fields as Socket.IO's `auth` carries them (the server takes them over the query's). */
export type ConnectAuthFields = { sign: string; sign_type: string; ts: string; nonce: string };

type AuthCallback = (cb: (data: object) => void) => void;

const roomList = (rooms: string | readonly string[]) => (typeof rooms === 'string' ? rooms : rooms.join(','));

/** The contract's signed connect URL: `url?userid=..&username=..&source=..&room_ids=..&sign=..&ext_info=..`. */
export function signedConnectUrl(p: ConnectParams): string {
  const fields = signRequest({
    kind: 'connect',
    source: p.source,
    roomIds: roomList(p.rooms),
    userid: p.userid,
    signKey: p.signKey,
    scheme: p.scheme ?? 'legacy',
  });
  return connectUrl(p, fields);
}

/** `p.url` with the contract's query; `signFields` empty when the sign goes in `auth`. */
function connectUrl(p: ConnectParams, signFields: Record<string, string>): string {
  const query = new URLSearchParams({ userid: p.userid, username: p.username, source: p.source, room_ids: roomList(p.rooms), ...signFields, ext_info: p.extInfo ?? '' });
  if (p.watchQuit) query.set('watch_quit', '1');
  const base = new URL(p.url);
  for (const [k, v] of query) base.searchParams.set(k, v);
  return base.toString();
}

/** A new strong connect sign (new ts and nonce) on every call, for Socket.IO's `auth`. */
export function strongConnectAuth(p: Pick<ConnectParams, 'source' | 'signKey' | 'rooms' | 'userid'>): () => ConnectAuthFields {
  return () => {
    const f = signRequest({ kind: 'connect', scheme: 'strong', source: p.source, roomIds: roomList(p.rooms), userid: p.userid, signKey: p.signKey });
    return { sign: f.sign!, sign_type: f.sign_type!, ts: f.ts!, nonce: f.nonce! };
  };
}

/**
 * Signs and connects in one step. With `scheme: 'strong'` the sign is made afresh for every
 * connection attempt (Socket.IO calls `auth` before each one), so reconnects are not refused
 * as replays; an `auth` of your own in `options.socketOptions` is kept, the sign fields added.
 */
export function connectSigned(p: ConnectParams, options: ClientOptions = {}): ImClient {
  if ((p.scheme ?? 'legacy') === 'legacy') return createClient(signedConnectUrl(p), options);
  const fresh = strongConnectAuth(p);
  const own = options.socketOptions?.auth;
  const auth: AuthCallback = (cb) => {
    if (typeof own === 'function') own((data) => cb({ ...data, ...fresh() }));
    else cb({ ...own, ...fresh() });
  };
  return createClient(connectUrl(p, {}), { ...options, socketOptions: { ...options.socketOptions, auth } });
}

export interface NotifyParams {
  source: string;
  signKey: string;
  rooms: string | readonly string[];
  /** Sent and signed exactly as given (the contract's `data` is a string). */
  data: string;
  /** Optional message-log name (the contract's `filename`). */
  filename?: string;
  scheme?: SignScheme;
}

/** A signed `/api/notify` body (send it form-encoded or as JSON). */
export function signedNotifyBody(p: NotifyParams): Record<string, string> {
  const fields = signRequest({
    kind: 'notify',
    source: p.source,
    roomId: roomList(p.rooms),
    data: p.data,
    signKey: p.signKey,
    scheme: p.scheme ?? 'legacy',
  });
  return p.filename ? { ...fields, filename: p.filename } : fields;
}

/** POSTs a signed notify; resolves with the server's JSON answer (`{code, msg, data[, error]}`). */
export async function notify(
  url: string,
  p: NotifyParams,
): Promise<{ status: number; body: { code: number; msg: string; data: unknown; error?: string } }> {
  const endpoint = new URL('/api/notify', url);
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(signedNotifyBody(p)).toString(),
  });
  return { status: res.status, body: (await res.json()) as { code: number; msg: string; data: unknown; error?: string } };
}

/** One message of `notifyBatch`. */
export interface BatchMessage {
  rooms: string | readonly string[];
  /** Sent and signed exactly as given. */
  data: string;
  filename?: string;
}

export interface NotifyBatchParams {
  source: string;
  signKey: string;
  messages: readonly BatchMessage[];
  /**
   * `legacy` (default) or `strong`: each message signed as for /api/notify. `batch`: one strong
   * sign (HMAC-SHA256, ts, nonce) over the whole batch (packages/signing strongBatchCanonical).
   */
  scheme?: SignScheme | 'batch';
}

export interface NotifyBatchAnswer {
  code: number;
  msg: string;
  data: unknown;
  error?: string;
  accepted?: number;
  refused?: number;
  /** One per message, in order: `{code: 1, msg}` accepted, `{code: 0, msg, error}` refused. */
  results?: Array<{ code: number; msg: string; error?: string }>;
}

/** The JSON body of a `POST /api/notify/batch`. */
export function signedBatchBody(p: NotifyBatchParams): Record<string, unknown> {
  if (p.scheme === 'batch') {
    const messages = p.messages.map((m) => ({ room_id: roomList(m.rooms), data: m.data, ...(m.filename ? { filename: m.filename } : {}) }));
    const ts = String(unixSeconds());
    const nonce = newNonce();
    const sign = strongBatchSign(p.signKey, { source: p.source, messages: messages.map((m) => ({ roomId: m.room_id, data: m.data })), ts, nonce });
    return { source: p.source, sign_type: STRONG_SIGN_TYPE, ts, nonce, sign, messages };
  }
  const scheme = p.scheme ?? 'legacy';
  return { messages: p.messages.map((m) => signedNotifyBody({ source: p.source, signKey: p.signKey, scheme, ...m })) };
}

/**
 * POSTs many messages in one request (at most the server's `limits.maxBatchMessages`, 500 by
 * default); resolves with its answer: `results` says, per message in order, whether it was accepted.
 */
export async function notifyBatch(url: string, p: NotifyBatchParams): Promise<{ status: number; body: NotifyBatchAnswer }> {
  const res = await fetch(new URL('/api/notify/batch', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(signedBatchBody(p)),
  });
  return { status: res.status, body: (await res.json()) as NotifyBatchAnswer };
}
