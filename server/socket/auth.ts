import type { ExtendedError, Socket } from 'socket.io';
import { ImError, LEGACY_MESSAGES, singleField, type SocketData, toImError } from '../../packages/protocol';
import { roomList, sourceConfig, type ServerContext } from '../context';
import { originAllowed } from '../security/origins';
import { clientIp } from '../security/client-ip';
import type { ConnectionKey } from '../security/connection-limits';
import { checkRooms, roomAllowed } from '../security/rights';
import { claimNonce, signFields, verifyConnectSign } from '../security/verify-sign';
import { publishToken, signsEqual } from '../../packages/signing';

type Query = Record<string, unknown>;

/** What the handshake knows besides the query string. */
export interface HandshakeMeta {
  /** `socket.handshake.auth`: may carry the sign fields, so a client can sign each (re)connect afresh. */
  auth?: unknown;
  /** The Origin header (browsers send it). */
  origin?: string;
  /** The client address (see security/client-ip.ts). */
  ip?: string;
}

/** Sign fields a client may send in `auth` instead of the query (they win over the query). */
const AUTH_SIGN_FIELDS = ['sign', 'sign_type', 'ts', 'nonce'] as const;

function withAuthFields(query: Query, auth: unknown): Query {
  if (auth === null || typeof auth !== 'object' || Array.isArray(auth)) return query;
  const out: Query = { ...query };
  for (const key of AUTH_SIGN_FIELDS) if (Object.hasOwn(auth, key)) out[key] = (auth as Query)[key];
  return out;
}

/** The per-user key of connection caps; source names never hold ':'. */
const userKey = (source: string, userid: string) => `${source}:${userid}`;

/**
 * Checks the contract's signed query string in the original's order and returns what the
 * connection may do. Throws ImError with the original's messages. After the contract's checks
 * come the newer ones: strong signs (timestamp, replay), connect origins, join rights, caps.
 */
export async function authenticateHandshake(ctx: ServerContext, query: Query, meta: HandshakeMeta = {}): Promise<SocketData> {
  const q = withAuthFields(query, meta.auth);
  const source = singleField(q.source, 'source');
  if (!source) throw new ImError('SOURCE_REQUIRED', LEGACY_MESSAGES.sourceRequired);
  if (singleField(q.role, 'role') === 'publisher') return authenticatePublisher(ctx, source, q, meta);
  const sign = singleField(q.sign, 'sign');
  if (!sign) throw new ImError('SIGN_REQUIRED', LEGACY_MESSAGES.connectSignRequired);
  const roomIds = singleField(q.room_ids, 'room_ids');
  if (!roomIds) throw new ImError('ROOMS_REQUIRED', LEGACY_MESSAGES.roomIdsRequired);
  const cfg = sourceConfig(ctx, source);
  const fields = { ...signFields(q), sign };
  // Only the strong sign covers the userid; the legacy path reads it below, in the original order.
  const signedUserid = fields.signType ? singleField(q.userid, 'userid') : '';
  const verified = verifyConnectSign(ctx, cfg, source, roomIds, signedUserid, fields, LEGACY_MESSAGES.connectSignFailed);
  const { limits } = ctx.config;
  const rooms = roomList(ctx, roomIds, 'connection', LEGACY_MESSAGES.roomIdsRequired);
  const userid = singleField(q.userid, 'userid');
  if (!userid) throw new ImError('USERID_REQUIRED', 'userid can not be null!');
  const username = singleField(q.username, 'username');
  if (!username) throw new ImError('USERNAME_REQUIRED', 'username can not be null!');
  const extInfo = singleField(q.ext_info, 'ext_info');
  if (extInfo.length > limits.maxExtInfoLength) {
    throw new ImError('INVALID_PARAMETER', `ext_info is longer than ${limits.maxExtInfoLength} characters`);
  }
  if (meta.origin && !originAllowed(cfg.connectOrigins, meta.origin)) {
    throw new ImError('FORBIDDEN', `pages from origin ${meta.origin} may not connect to source ${source}`);
  }
  checkRooms(cfg.rights.join, rooms, { userid, userBound: verified.scheme === 'strong', joined: [] }, 'join', source);
  const ip = meta.ip ?? 'unknown';
  ctx.security.connections.check({ ip, user: userKey(source, userid), source });
  await claimNonce(ctx, verified);
  return {
    source,
    userid: userid.slice(0, 256),
    username: username.slice(0, 256),
    // An exact-size copy: the list was built by pushing (room for 17 before it grows), and it
    // stays with the connection for its whole life.
    rooms: rooms.slice(),
    extInfo,
    watchQuit: singleField(q.watch_quit, 'watch_quit') === '1',
    connectedAt: ctx.now(),
    canRead: true,
    signedWith: verified.scheme,
    ip,
  };
}

/**
 * An unsigned, publish-only hook connection (`role=publisher`): allowed only when the source
 * lists the rooms in `hook.rooms` (exact ids or patterns). It joins no room, so it can never
 * read what others send.
 */
function authenticatePublisher(ctx: ServerContext, source: string, query: Query, meta: HandshakeMeta): SocketData {
  const cfg = sourceConfig(ctx, source);
  const roomIds = singleField(query.room_ids, 'room_ids');
  if (!roomIds) throw new ImError('ROOMS_REQUIRED', LEGACY_MESSAGES.roomIdsRequired);
  const rooms = roomList(ctx, roomIds, 'connection', LEGACY_MESSAGES.roomIdsRequired);
  // A publish token (`credential`, see packages/signing/publish-token.ts) opens exactly the rooms it was made for.
  const credential = singleField(query.credential, 'credential');
  if (credential && !signsEqual(publishToken(cfg.signKey, source, roomIds), credential)) {
    throw new ImError('BAD_SIGN', 'credential is not a publish token for these rooms (a reader sign is not one)');
  }
  const refused = credential ? [] : rooms.filter((r) => !roomAllowed(cfg.hook.rooms, r, { userid: '', userBound: false, joined: [] }));
  if (refused.length > 0) {
    throw new ImError(
      'FORBIDDEN',
      cfg.hook.rooms.length === 0
        ? `source ${source} does not accept unsigned publishers (configure sources.${source}.hook.rooms)`
        : `source ${source} accepts unsigned publishers only for rooms: ${cfg.hook.rooms.join(', ')}`,
    );
  }
  const ip = meta.ip ?? 'unknown';
  // Unsigned: the userid proves nothing, so the per-IP caps and the per-source hook cap apply.
  ctx.security.connections.check({ ip, hookSource: source, source });
  return {
    source,
    userid: singleField(query.userid, 'userid').slice(0, 256) || 'hook',
    username: singleField(query.username, 'username').slice(0, 256) || 'hook',
    rooms: [],
    publishRooms: rooms,
    extInfo: singleField(query.ext_info, 'ext_info').slice(0, ctx.config.limits.maxExtInfoLength),
    watchQuit: false,
    connectedAt: ctx.now(),
    canRead: false,
    signedWith: 'none',
    ip,
  };
}

/** The key connection caps count a socket under: its user, or for unsigned hooks its source. */
export function connectionKey(data: SocketData): ConnectionKey {
  const ip = data.ip ?? 'unknown';
  return data.signedWith === 'none'
    ? { ip, hookSource: data.source, source: data.source }
    : { ip, user: userKey(data.source, data.userid), source: data.source };
}

/** Turns any failure into the error Socket.IO sends as `connect_error` (`message` and `data: {code, message}`). */
export function toConnectError(err: unknown): ExtendedError {
  const im = toImError(err);
  const out = new Error(im.message) as ExtendedError;
  out.data = im.toJSON();
  return out;
}

export function handshakeMiddleware(ctx: ServerContext) {
  return (socket: Socket, next: (err?: ExtendedError) => void) => {
    const { headers } = socket.handshake;
    const meta: HandshakeMeta = {
      auth: socket.handshake.auth,
      origin: typeof headers.origin === 'string' ? headers.origin : undefined,
      ip: clientIp(socket.handshake.address, headers['x-forwarded-for']),
    };
    authenticateHandshake(ctx, socket.handshake.query as Query, meta).then(
      (data) => {
        socket.data = data;
        next();
      },
      (err: unknown) => {
        if (!(err instanceof ImError)) ctx.logger.error({ err }, 'handshake failed');
        next(toConnectError(err));
      },
    );
  };
}
