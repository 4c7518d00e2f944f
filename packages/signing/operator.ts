import { hmacSha256Hex } from './md5';

/**
 * Signs an operator request (read-outs, refresh, log reads). Unlike the legacy signs it names
 * the action and carries a timestamp, so a connect sign that a page exposes can never be
 * replayed as an operator call, and a captured operator sign expires.
 *
 *   sign = hex(HMAC-SHA256(sign_key, action + "\n" + source + "\n" + subject + "\n" + ts))
 *
 * `ts` is Unix time in seconds; `subject` is the action's object (a room, a file, '' for none).
 */
export function operatorSign(signKey: string, action: string, source: string, subject: string, ts: number | string): string {
  return hmacSha256Hex(signKey, `${action}\n${source}\n${subject}\n${ts}`);
}
