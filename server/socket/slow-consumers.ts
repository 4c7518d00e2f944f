import { singleField, type NoticePayload, type SocketData } from '../../packages/protocol';
import type { ServerContext } from '../context';
import type { ServerMetrics } from '../core/metrics';
import { socketsOf, type EngineClient } from '../engine';
import type { ImSocket } from '../core/im-server';

/**
 * Connections cut by an output budget (output-budget.ts), remembered for a while so the client
 * can be told why when it connects again: a stalled reader could not have read a goodbye.
 *
 * The key is what the client presents again on its next handshake: the SDK's (and the
 * viewers') own client id (`im_client` in the query, random per client, kept across
 * reconnects), or else the client's address, source and userid. Bounded in count and time;
 * one instance remembers its own cuts (a client that comes back through another instance is
 * not told, and catches up all the same).
 */
export interface SlowConsumers {
  /** Records a cut connection (the metric, and the notice for its next handshake). */
  cut(client: EngineClient, queued: number, budget: 'connection' | 'total'): void;
  /** On a new connection: sends `sys_notice` SLOW_CONSUMER when this client was cut lately. */
  greet(socket: ImSocket): void;
  /** Notices waiting to be given (for tests). */
  readonly pending: number;
}

export const SLOW_CONSUMER_NOTICE_TTL_MS = 10 * 60_000;
export const MAX_SLOW_CONSUMER_NOTICES = 10_000;
/** Longest client id taken from the query. */
const MAX_CLIENT_ID = 64;

function keyOf(data: Pick<SocketData, 'source' | 'userid' | 'ip'>, query: unknown): string {
  let clientId = '';
  if (query && typeof query === 'object') {
    try {
      clientId = singleField((query as Record<string, unknown>).im_client, 'im_client');
    } catch {
      clientId = '';
    }
  }
  if (clientId && clientId.length <= MAX_CLIENT_ID) return `c\u0000${data.source}\u0000${clientId}`;
  return `a\u0000${data.ip ?? ''}\u0000${data.source}\u0000${data.userid}`;
}

export function createSlowConsumers(ctx: Pick<ServerContext, 'now' | 'logger'>, metrics: ServerMetrics): SlowConsumers {
  /** key → when the notice expires; Map order is oldest first. */
  const notices = new Map<string, number>();

  return {
    get pending() {
      return notices.size;
    },
    cut(client, queued, budget) {
      const socket = socketsOf(client).values().next().value;
      const data = socket?.data as SocketData | undefined;
      const source = data?.source ?? '';
      metrics.slowConsumerCloses.inc({ source, budget });
      ctx.logger.warn({ source, userid: data?.userid, ip: data?.ip, queued, budget }, 'slow consumer: output budget exceeded, transport closed');
      if (!data) return;
      const key = keyOf(data, socket?.handshake?.query);
      notices.delete(key);
      if (notices.size >= MAX_SLOW_CONSUMER_NOTICES) notices.delete(notices.keys().next().value as string);
      notices.set(key, ctx.now() + SLOW_CONSUMER_NOTICE_TTL_MS);
    },
    greet(socket) {
      if (notices.size === 0) return;
      const key = keyOf(socket.data, socket.handshake.query);
      const expires = notices.get(key);
      if (expires === undefined) return;
      notices.delete(key);
      if (expires < ctx.now()) return;
      const notice: NoticePayload = {
        code: 'SLOW_CONSUMER',
        message:
          'the previous connection was closed because it did not read what the server sent it (too many bytes were waiting); ' +
          'missed messages can be read from history',
      };
      socket.emit('sys_notice', notice);
    },
  };
}
