/**
 * The /debug link: the server, source, room and sign the page reads from its URL, and writes
 * back into the fragment once connected (a sign there is never sent to a server log).
 */
import type { RoomTarget } from './connection';

/** Reads the target from the fragment (preferred) or the query. */
export function targetFromUrl(): Partial<RoomTarget> {
  const params = new URLSearchParams(location.hash.slice(1));
  const query = new URLSearchParams(location.search);
  const get = (k: string) => params.get(k) ?? query.get(k) ?? undefined;
  return {
    server: get('server'),
    source: get('source'),
    room: get('room') ?? get('room_ids'),
    sign: get('sign'),
    userid: get('userid'),
    username: get('username'),
    signType: get('sign_type'),
    ts: get('ts'),
    nonce: get('nonce'),
  };
}

/** Puts the target in the fragment, so a reload or a copied link reads the same room. */
export function writeTargetToUrl(t: RoomTarget): void {
  const hash = new URLSearchParams();
  if (t.server !== location.origin) hash.set('server', t.server);
  hash.set('source', t.source);
  hash.set('room', t.room);
  hash.set('sign', t.sign);
  // A strong (single-use) link keeps its fields, so a reload says why it is refused.
  if (t.signType) {
    for (const [k, v] of [['sign_type', t.signType], ['ts', t.ts], ['nonce', t.nonce], ['userid', t.userid], ['username', t.username]] as const) {
      if (v) hash.set(k, v);
    }
  }
  history.replaceState(null, '', `${location.pathname}#${hash.toString()}`);
}
