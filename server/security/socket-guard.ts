import type { Socket } from 'socket.io';
import { ImError, type AckResult } from '../../packages/protocol';
import type { ServerContext } from '../context';
import { connectionUserKey } from '../socket/auth';

/** Events that publish messages: they count against the per-IP and per-source rates. */
const PUBLISHING_EVENTS = new Set(['postMsg', 'postLogs']);

function refuse(socket: Socket, ack: ((r: AckResult) => void) | undefined, err: ImError): void {
  if (ack) ack({ ok: false, error: err.toJSON() });
  else socket.emit('sys_error', err.message);
}

/**
 * Counts the connection under the per-IP and per-user caps until it disconnects. The handshake
 * already checked the caps; two handshakes racing past that check are caught here.
 */
export function trackConnection(ctx: ServerContext, socket: Socket): void {
  const { maxConnectionsPerIp, maxConnectionsPerUser } = ctx.config.limits;
  // Both caps off (the default): no bookkeeping, no disconnect listener per connection.
  if (maxConnectionsPerIp === 0 && maxConnectionsPerUser === 0) return;
  const { over, release } = ctx.security.connections.track(socket.data.ip ?? 'unknown', connectionUserKey(socket.data));
  socket.once('disconnect', release);
  if (over) {
    socket.data.watchQuit = false;
    socket.emit('sys_error', over.message);
    // After the other `connection` listeners, so nothing they add (rooms) outlives the socket.
    queueMicrotask(() => socket.disconnect(true));
  }
}

type Middleware = (packet: unknown[], next: (err?: Error) => void) => void;

const guardsByServer = new WeakMap<ServerContext, (this: Socket, packet: unknown[], next: (err?: Error) => void) => void>();

/**
 * The guard of one server, shared by its sockets (`this` is the socket). The promise chain
 * that keeps a socket's events in order exists only while that socket has events in flight:
 * idle connections, most of them, keep nothing here.
 */
function guardFor(ctx: ServerContext) {
  let guard = guardsByServer.get(ctx);
  if (guard) return guard;
  const rates = ctx.config.rateLimits;
  const chains = new WeakMap<Socket, Promise<void>>();

  const check = async (socket: Socket, event: unknown) => {
    await ctx.security.rates.consume('connection', socket.id, rates.perConnection);
    if (typeof event === 'string' && PUBLISHING_EVENTS.has(event)) {
      const { source } = socket.data as { source: string; ip?: string };
      await ctx.security.rates.consume('ip', socket.data.ip ?? 'unknown', rates.perIp);
      await ctx.security.rates.consume('source', source, ctx.config.sources[source]?.maxMessagesPerSecond ?? rates.perSource);
    }
  };

  guard = function guardPacket(this: Socket, packet: unknown[], next: (err?: Error) => void): void {
    const socket = this;
    const last = packet[packet.length - 1];
    const ack = typeof last === 'function' ? (last as (r: AckResult) => void) : undefined;
    // A packet with an ack id and no data (`2<id>`) arrives as [ack]: it has no event name.
    const event = ack && packet.length === 1 ? undefined : packet[0];
    const proceed = () => {
      if (event === undefined) {
        if (ack) refuse(socket, ack, new ImError('INVALID_PARAMETER', 'a packet needs an event name'));
        return;
      }
      if (typeof event !== 'string' || socket.listeners(event).length === 0) {
        if (ack) refuse(socket, ack, new ImError('NOT_FOUND', `unknown event ${JSON.stringify(String(event)).slice(0, 80)}`));
        return;
      }
      next();
    };
    const fail = (err: unknown) => {
      if (!(err instanceof ImError)) ctx.logger.error({ err, socket: socket.id }, 'socket guard failed');
      refuse(socket, ack, err instanceof ImError ? err : new ImError('INTERNAL', 'internal server error'));
    };
    const chain = (chains.get(socket) ?? Promise.resolve())
      .then(() => check(socket, event))
      .then(proceed, fail)
      .catch((err: unknown) => ctx.logger.error({ err, socket: socket.id }, 'socket guard failed'))
      .then(() => {
        // The last event in flight: the socket is idle again.
        if (chains.get(socket) === chain) chains.delete(socket);
      });
    chains.set(socket, chain);
  };
  guardsByServer.set(ctx, guard);
  return guard;
}

/**
 * Runs before every event a client sends: the message rates (per connection, and for publishing
 * events per IP and per source), then refuses unknown events that ask for an ack, so no client
 * waits for an answer that never comes. Events of one socket stay in order (one promise chain).
 */
export function guardSocket(ctx: ServerContext, socket: Socket): void {
  // Socket.IO calls a middleware without the socket as `this`: bind the shared one.
  socket.use(guardFor(ctx).bind(socket) as Middleware);
}
