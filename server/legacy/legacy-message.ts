import { parseLogFilename } from '../../packages/protocol';
import { legacyNotifySign, signsEqual } from '../../packages/signing';
import type { ServerContext } from '../context';
import { roomList } from '../context';
import { signingModeFor } from '../config/security';

/** Why a message from the channel was not delivered (the `outcome` label beside `delivered`, `duplicate`). */
export type LegacyDropReason =
  | 'too-large'
  | 'bad-json'
  | 'not-object'
  | 'sys-info'
  | 'from-sys'
  | 'no-source'
  | 'unknown-source'
  | 'bad-room'
  | 'no-data'
  | 'data-not-string'
  | 'no-sign'
  | 'bad-sign'
  | 'strong-sign-required'
  | 'bad-filename'
  | 'rate-limited'
  | 'claim-failed'
  | 'publish-failed'
  | 'overloaded';

export interface LegacyChannelMessage {
  source: string;
  rooms: string[];
  data: unknown;
  /** The checked log file name; undefined when the message is not to be logged. */
  filename?: string;
}

export type LegacyCheck =
  | { ok: true; message: LegacyChannelMessage }
  | { ok: false; reason: LegacyDropReason; detail: string; source?: string };

const drop = (reason: LegacyDropReason, detail: string, source?: string): LegacyCheck => ({ ok: false, reason, detail, source });

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Checks one raw message from the channel, as the original's subscriber did, minus its holes:
 * - `sys_info` messages were the original's own log lines, appended to a file path the
 *   message named: dropped, never written anywhere.
 * - `from_sys` marked what the original's own instances had already checked (its
 *   /api/notify, postMsg, watch_quit), delivered without a sign: anyone could set it. Such
 *   messages come from an original server still running on the same Redis and it delivers
 *   them itself, so they are skipped (and this server never publishes to the channel: no loop).
 * - With the source's `publishMsgVerify` (publish_msg_verify), `sign` must be
 *   md5(source + room_id + data + sign_key) over the fields as JavaScript concatenates them
 *   (a numeric room_id as its text), and `data` must be a string; without it, any JSON `data`.
 */
export function checkLegacyMessage(ctx: ServerContext, raw: string): LegacyCheck {
  const { limits } = ctx.config;
  if (Buffer.byteLength(raw) > limits.maxBodyBytes) return drop('too-large', `message is larger than ${limits.maxBodyBytes} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    return drop('bad-json', `not JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(parsed)) return drop('not-object', 'message must be a JSON object {source, room_id, data, sign, filename}');
  const m = parsed;
  if (Object.hasOwn(m, 'sys_info')) return drop('sys-info', 'sys_info messages (the original\'s own log lines) are not taken');
  if (Object.hasOwn(m, 'from_sys')) return drop('from-sys', 'from_sys messages belong to an original server on the same Redis, which delivers them itself');

  if (typeof m.source !== 'string' || m.source === '') return drop('no-source', 'source can not be null!');
  const source = m.source;
  const cfg = Object.hasOwn(ctx.config.sources, source) ? ctx.config.sources[source] : undefined;
  if (!cfg) return drop('unknown-source', `this source can not be configured! (${source.slice(0, 64)})`);

  if (typeof m.room_id !== 'string' && typeof m.room_id !== 'number') return drop('bad-room', 'room_id can not be null!', source);
  // The original signed and split `"" + room_id`.
  const roomIdText = String(m.room_id);
  let rooms: string[];
  try {
    rooms = roomList(ctx, roomIdText, 'message', 'room_id can not be null!');
  } catch (err) {
    return drop('bad-room', (err as Error).message, source);
  }

  const data = m.data;
  if (data === undefined || data === null || data === '') return drop('no-data', 'data can not be null!', source);
  const dataBytes = typeof data === 'string' ? Buffer.byteLength(data) : Buffer.byteLength(JSON.stringify(data));
  if (dataBytes > limits.maxMessageBytes) return drop('too-large', `data is larger than ${limits.maxMessageBytes} bytes`, source);

  if (signingModeFor(cfg.signing, 'notify') === 'strong') {
    return drop('strong-sign-required', `source ${source} requires strong signs, which this channel cannot carry: use POST /api/notify`, source);
  }
  if (cfg.publishMsgVerify) {
    if (typeof data !== 'string') {
      return drop('data-not-string', 'data must be a string when the source verifies signs (publishMsgVerify): sign the text you send', source);
    }
    if (typeof m.sign !== 'string' || m.sign === '') return drop('no-sign', 'sign can not be null!', source);
    if (!signsEqual(legacyNotifySign(source, roomIdText, data, cfg.signKey), m.sign)) {
      return drop('bad-sign', 'publish message sign verify failed! (md5(source + room_id + data + sign_key))', source);
    }
  }

  let filename: string | undefined;
  if (m.filename !== undefined && m.filename !== null) {
    if (typeof m.filename !== 'string') return drop('bad-filename', 'filename must be a string', source);
    try {
      filename = parseLogFilename(m.filename, limits.maxFilenameLength);
    } catch (err) {
      return drop('bad-filename', (err as Error).message, source);
    }
  }
  return { ok: true, message: { source, rooms, data, filename } };
}
