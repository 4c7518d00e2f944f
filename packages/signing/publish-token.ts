import { hmacSha256Hex } from './md5';

/**
 * A publish-only credential for the remote-debug hook (`data-credential` / `credential` in the
 * connect query with `role=publisher`), for sources that do not take unsigned hook publishes:
 *
 *   token = hex(HMAC-SHA256(sign_key, "im-v2\npublish\n" + source + "\n" + room_ids))
 *
 * It can be shown in a page: it lets a connection send log entries to exactly those rooms and
 * nothing else (such a connection joins no room). It is not a reader sign, and a reader sign
 * (md5) is not a publish token. `room_ids` exactly as sent.
 */
export function publishToken(signKey: string, source: string, roomIds: string): string {
  return hmacSha256Hex(signKey, `im-v2\npublish\n${source}\n${roomIds}`);
}
