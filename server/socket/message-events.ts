import {
  ImError,
  LEGACY_MESSAGES,
  postLogsEntriesSchema,
  historyRequestSchema,
  zodMessage,
  type DebugEntry,
  singleField,
  type HistoryResult,
  isPlainLogBatch,
} from '../../packages/protocol';
import type { PublishItem } from '../relay/relay';
import { roomList, type ServerContext } from '../context';
import type { ImSocket } from '../core/im-server';
import { roomKey } from '../core/rooms';
import { checkRooms } from '../security/rights';
import { guarded, splitAck } from './ack';
import type { SocketLayer } from './layer';
import { perSocketBuckets } from './rate-limit';

function targetRooms(ctx: ServerContext, raw: unknown): string[] {
  return roomList(ctx, singleField(raw, 'room_ids'), 'message', LEGACY_MESSAGES.roomIdsRequired);
}

/** Throws past `max` bytes of JSON; returns the JSON's length in characters (the history's size estimate reuses it). */
function checkSize(ctx: ServerContext, value: unknown, what: string, max = ctx.config.limits.maxMessageBytes): number {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // Too deeply nested for the stack (the frame size limit still allows that).
    throw new ImError('INVALID_PARAMETER', `${what} cannot be encoded as JSON (nested too deeply?)`);
  }
  // UTF-8 takes at most 3 bytes per UTF-16 unit: only a long text needs counting.
  const bytes = text === undefined ? 0 : text.length * 3 <= max ? text.length : Buffer.byteLength(text);
  if (bytes > max) throw new ImError('PAYLOAD_TOO_LARGE', `${what} is ${bytes} bytes, more than the limit of ${max}`);
  return text?.length ?? 0;
}

/**
 * The message events (postMsg, postLogs, history) and what a connection does on joining and
 * leaving (its rooms; the `user_quit` message of a `watch_quit` client). Handlers are one set
 * per server, reading the socket from `this`; the token bucket of a publish-only hook is made on
 * its first postLogs.
 */
export function defineMessageEvents(ctx: ServerContext, layer: SocketLayer): void {
  // Publish-only hooks are unsigned: their rate is limited per connection.
  const takeHookEntries = perSocketBuckets<ImSocket>((socket) => {
    const rate = ctx.config.sources[socket.data.source]!.hook.maxEntriesPerSecond;
    return { rate, burst: Math.max(rate, 100) };
  }, ctx.now);

  // The source's `rights.post` (server/security/rights.ts); `{userid}` counts only when signed strongly.
  const checkPostRights = (socket: ImSocket, rooms: string[]) => {
    const d = socket.data;
    checkRooms(
      ctx.config.sources[d.source]!.rights.post,
      rooms,
      { userid: d.userid, userBound: d.signedWith === 'strong', joined: d.rooms },
      'post to',
      d.source,
    );
  };

  const handlers = {
    postMsg(this: ImSocket, ...args: unknown[]) {
      const socket = this;
      const { source, publishRooms } = socket.data;
      // Old clients call postMsg(data, room_ids) with no ack; new ones may pass fewer arguments.
      const { ack, values: [data, roomIds] } = splitAck(args);
      guarded(ctx, socket, ack, async () => {
        if (publishRooms) throw new ImError('FORBIDDEN', 'a publish-only hook connection may only send log entries (postLogs)');
        if (!ctx.config.sources[source]?.clientPost) throw new ImError('FORBIDDEN', `clients of source ${source} may not post`);
        if (data === undefined || data === null || data === '') throw new ImError('DATA_REQUIRED', LEGACY_MESSAGES.dataRequired);
        const rooms = targetRooms(ctx, roomIds);
        checkPostRights(socket, rooms);
        checkSize(ctx, data, 'data');
        await ctx.relay.publish(source, rooms, data);
      });
    },

    postLogs(this: ImSocket, ...args: unknown[]) {
      const socket = this;
      const { source, publishRooms } = socket.data;
      const { ack, values: [entries, roomIds] } = splitAck(args);
      guarded(ctx, socket, ack, async () => {
        // Plain log entries (what hooks send most) pass one structural check that accepts only what
        // the schema accepts unchanged; anything else goes through zod, which words the error.
        let list: DebugEntry[];
        if (isPlainLogBatch(entries)) list = entries;
        else {
          const parsed = postLogsEntriesSchema.safeParse(entries);
          if (!parsed.success) throw new ImError('INVALID_PARAMETER', `log entries: ${zodMessage(parsed.error)}`);
          list = parsed.data;
        }
        const rooms = targetRooms(ctx, roomIds);
        let maxBytes = ctx.config.limits.maxMessageBytes;
        if (publishRooms) {
          const outside = rooms.filter((r) => !publishRooms.includes(r));
          if (outside.length) throw new ImError('FORBIDDEN', `this hook may publish only to: ${publishRooms.join(', ')}`);
          // Unsigned hooks have a size limit of their own, never above the server's.
          maxBytes = Math.min(ctx.config.sources[source]!.hook.maxEntryBytes, maxBytes);
        } else {
          checkPostRights(socket, rooms);
        }
        // The batch as the relay takes it, each entry measured once (size limit and history estimate).
        const items: PublishItem[] = new Array(list.length);
        for (let i = 0; i < list.length; i++) items[i] = { source, rooms, data: list[i], dataLength: checkSize(ctx, list[i], 'log entry', maxBytes) };
        if (publishRooms && !takeHookEntries(socket, list.length)) {
          throw new ImError('RATE_LIMITED', `more than ${ctx.config.sources[source]!.hook.maxEntriesPerSecond} log entries per second; slow down and retry`);
        }
        // One history round trip for the whole batch; each entry still its own newMsg per room.
        await ctx.relay.publishMany(items);
      });
    },

    history(this: ImSocket, ...args: unknown[]) {
      const socket = this;
      const { ack, values: [request] } = splitAck(args);
      guarded<HistoryResult>(ctx, socket, ack, async () => {
        const parsed = historyRequestSchema.safeParse(request);
        if (!parsed.success) throw new ImError('INVALID_PARAMETER', `history request: ${zodMessage(parsed.error)}`);
        if (!socket.data.canRead || !socket.data.rooms.includes(parsed.data.room_id)) {
          throw new ImError('FORBIDDEN', `not a reader of room ${parsed.data.room_id}`);
        }
        return ctx.relay.history(socket.data.source, parsed.data);
      });
    },

    quit(this: ImSocket) {
      const { source, username, rooms, watchQuit } = this.data;
      if (!watchQuit) return;
      ctx.relay
        .publish(source, rooms, { username, key: 'user_quit', msg: `${username}退出群聊` })
        .catch((err: unknown) => ctx.logger.error({ err }, 'quit message failed'));
    },
  };
  const { postMsg, postLogs, history, quit } = handlers;
  layer.define('postMsg', () => postMsg);
  layer.define('postLogs', () => postLogs);
  layer.define('history', () => history);
  layer.onConnection((socket) => {
    socket.join(socket.data.rooms.map((r) => roomKey(socket.data.source, r)));
    // Nothing else turns watchQuit on later (connection-caps.ts may turn it off before this runs).
    if (socket.data.watchQuit) socket.on('disconnect', quit);
  });
}
