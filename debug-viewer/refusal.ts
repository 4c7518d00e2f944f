import type { Refusal, RoomTarget } from './connection';

const DEFAULT_SERVER = 'http://127.0.0.1:4000';

/** The im-debug command that makes a new link to this page for this room. */
export function newLinkCommand(t: Pick<RoomTarget, 'server' | 'source' | 'room' | 'signType'>, strong = Boolean(t.signType)): string {
  const parts = ['im-debug open debug'];
  if (t.source !== 'remote_debug') parts.push(`--source ${t.source}`);
  if (t.room !== 'console-log') parts.push(`--room ${t.room}`);
  if (t.server.replace(/\/+$/, '') !== DEFAULT_SERVER) parts.push(`--server ${t.server.replace(/\/+$/, '')}`);
  if (strong) parts.push('--strong');
  return parts.join(' ');
}

/**
 * What the page says when the server refused the sign: which kind of refusal (wrong, expired,
 * already used, the wrong kind for the source) and how to get a new link, rather than a bare
 * "not connected". '' when the refusal is not about the sign.
 */
export function refusalNotice(r: Refusal, t: RoomTarget): { status: string; notice: string } {
  const how = (strong?: boolean) => ` Get a new link: ${newLinkCommand(t, strong)} (or type a sign above).`;
  const message = r.message;
  if (r.code === 'REPLAYED_SIGN') {
    return {
      status: 'link already used: its single-use sign was refused as a replay',
      notice: `This link held a strong sign, which the server accepts once: a reload (or a reconnect) is refused as a replay.${how(true)}`,
    };
  }
  if (r.code === 'STALE_TIMESTAMP') {
    return {
      status: `link expired: ${message}`,
      notice: `The strong sign in this link is older than the server's signature window.${how(true)}`,
    };
  }
  if (r.code === 'BAD_SIGN' && /requires strong signs/.test(message)) {
    return {
      status: `refused: ${message}`,
      notice: `Source ${t.source} accepts only strong (single-use) signs.${how(true)}`,
    };
  }
  if (r.code === 'BAD_SIGN' && /accepts only legacy/.test(message)) {
    return { status: `refused: ${message}`, notice: `Source ${t.source} accepts only md5 signs.${how(false)}` };
  }
  if (r.code === 'BAD_SIGN') {
    return {
      status: `sign refused: ${message}`,
      notice: `The sign does not match source ${t.source} and room ${t.room} (a wrong or old key, or another room).${how()}`,
    };
  }
  if (r.code === 'SIGN_REQUIRED') return { status: `refused: ${message}`, notice: `No sign given.${how()}` };
  return { status: `refused: ${message}`, notice: '' };
}
