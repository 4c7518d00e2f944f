import type { ExtendedError, Socket } from 'socket.io';
import { ImError, LEGACY_MESSAGES, parseRoomList, singleField, type SocketData } from '../../packages/protocol';
import { legacyConnectSign, signsEqual } from '../../packages/signing';
import { sourceConfig, type ServerContext } from '../context';

type Query = Record<string, unknown>;

/**
 * Checks the contract's signed query string in the original's order and returns what the
 * connection may do. Throws ImError with the original's messages.
 */
export function authenticateHandshake(ctx: ServerContext, query: Query): SocketData {
  const source = singleField(query.source, 'source');
  if (!source) throw new ImError('SOURCE_REQUIRED', LEGACY_MESSAGES.sourceRequired);
  if (singleField(query.role, 'role') === 'publisher') return authenticatePublisher(ctx, source, query);
  const sign = singleField(query.sign, 'sign');
  if (!sign) throw new ImError('SIGN_REQUIRED', LEGACY_MESSAGES.connectSignRequired);
  const roomIds = singleField(query.room_ids, 'room_ids');
  if (!roomIds) throw new ImError('ROOMS_REQUIRED', LEGACY_MESSAGES.roomIdsRequired);
  const cfg = sourceConfig(ctx, source);
  if (!signsEqual(legacyConnectSign(source, roomIds, cfg.signKey), sign)) {
    throw new ImError('BAD_SIGN', LEGACY_MESSAGES.connectSignFailed);
  }
  const { limits } = ctx.config;
  const rooms = parseRoomList(roomIds, {
    max: limits.maxRoomsPerConnection,
    maxLength: limits.maxRoomIdLength,
    emptyMessage: LEGACY_MESSAGES.roomIdsRequired,
  });
  const userid = singleField(query.userid, 'userid');
  if (!userid) throw new ImError('USERID_REQUIRED', 'userid can not be null!');
  const username = singleField(query.username, 'username');
  if (!username) throw new ImError('USERNAME_REQUIRED', 'username can not be null!');
  const extInfo = singleField(query.ext_info, 'ext_info');
  if (extInfo.length > limits.maxExtInfoLength) {
    throw new ImError('INVALID_PARAMETER', `ext_info is longer than ${limits.maxExtInfoLength} characters`);
  }
  return {
    source,
    userid: userid.slice(0, 256),
    username: username.slice(0, 256),
    rooms,
    extInfo,
    watchQuit: singleField(query.watch_quit, 'watch_quit') === '1',
    connectedAt: ctx.now(),
    canRead: true,
  };
}

/**
 * An unsigned, publish-only hook connection (`role=publisher`): allowed only when the source
 * lists the rooms in `hook.rooms`. It joins no room, so it can never read what others send.
 */
function authenticatePublisher(ctx: ServerContext, source: string, query: Query): SocketData {
  const cfg = sourceConfig(ctx, source);
  const roomIds = singleField(query.room_ids, 'room_ids');
  if (!roomIds) throw new ImError('ROOMS_REQUIRED', LEGACY_MESSAGES.roomIdsRequired);
  const rooms = parseRoomList(roomIds, {
    max: ctx.config.limits.maxRoomsPerConnection,
    maxLength: ctx.config.limits.maxRoomIdLength,
    emptyMessage: LEGACY_MESSAGES.roomIdsRequired,
  });
  const refused = rooms.filter((r) => !cfg.hook.rooms.includes(r));
  if (refused.length > 0) {
    throw new ImError(
      'FORBIDDEN',
      cfg.hook.rooms.length === 0
        ? `source ${source} does not accept unsigned publishers (configure sources.${source}.hook.rooms)`
        : `source ${source} accepts unsigned publishers only for rooms: ${cfg.hook.rooms.join(', ')}`,
    );
  }
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
  };
}

/** Turns any failure into the error Socket.IO sends as `connect_error` (`message` and `data: {code, message}`). */
export function toConnectError(err: unknown): ExtendedError {
  const im = err instanceof ImError ? err : new ImError('INTERNAL', 'internal server error');
  const out = new Error(im.message) as ExtendedError;
  out.data = im.toJSON();
  return out;
}

export function handshakeMiddleware(ctx: ServerContext) {
  return (socket: Socket, next: (err?: ExtendedError) => void) => {
    try {
      socket.data = authenticateHandshake(ctx, socket.handshake.query as Query);
      next();
    } catch (err) {
      if (!(err instanceof ImError)) ctx.logger.error({ err }, 'handshake failed');
      next(toConnectError(err));
    }
  };
}
