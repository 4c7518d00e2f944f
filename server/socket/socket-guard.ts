import { Socket as SocketClass, type Socket } from 'socket.io';
import { ImError, type AckResult, toImError } from '../../packages/protocol';
import type { ServerContext } from '../context';
import { connectionKey } from './auth';
import { ensureListener } from './socket-events';

/** Events that publish messages: they count against the per-IP and per-source rates. */
const PUBLISHING_EVENTS = new Set(['postMsg', 'postLogs']);

function refuse(socket: Socket, ack: ((r: AckResult) => void) | undefined, err: ImError): void {
  if (ack) ack({ ok: false, error: err.toJSON() });
  else socket.emit('sys_error', err.message);
}

const releasers = new WeakMap<ServerContext, (this: Socket) => void>();

/** One `disconnect` listener per server, shared by its sockets (no closure per connection). */
function releaserFor(ctx: ServerContext): (this: Socket) => void {
  let found = releasers.get(ctx);
  if (!found) {
    found = function (this: Socket) {
      ctx.security.connections.release(connectionKey(this.data));
    };
    releasers.set(ctx, found);
  }
  return found;
}

/**
 * Counts the connection under the per-IP, per-user and unsigned-hook caps until it disconnects.
 * The handshake already checked the caps; two handshakes racing past that check are caught here.
 */
export function trackConnection(ctx: ServerContext, socket: Socket): void {
  // Every cap off: no bookkeeping, no disconnect listener per connection.
  if (!ctx.security.connections.enabled) return;
  const over = ctx.security.connections.track(connectionKey(socket.data));
  socket.on('disconnect', releaserFor(ctx));
  if (over) {
    socket.data.watchQuit = false;
    socket.emit('sys_error', over.message);
    // After the other `connection` listeners, so nothing they add (rooms) outlives the socket.
    queueMicrotask(() => socket.disconnect(true));
  }
}

type Next = () => void;
type Guard = (socket: Socket, packet: unknown[], next: Next) => void;
type Dispatch = (this: Socket, packet: unknown[]) => void;

interface ServerGuard {
  guard: Guard;
  /** Set as the own `dispatch` of each socket (see guardSocket). */
  dispatch: Dispatch;
}

const guardsByServer = new WeakMap<ServerContext, ServerGuard>();

/** Socket.IO's own dispatch (runs the socket's middlewares, then emits to its listeners). */
const socketDispatch = (SocketClass.prototype as unknown as { dispatch?: Dispatch }).dispatch;

/**
 * The guard of one server, shared by its sockets. The promise chain that keeps a socket's
 * events in order exists only while that socket has events in flight: idle connections, most
 * of them, keep nothing here.
 */
function guardFor(ctx: ServerContext): ServerGuard {
  let found = guardsByServer.get(ctx);
  if (found) return found;
  const rates = ctx.config.rateLimits;
  const chains = new WeakMap<Socket, Promise<void>>();

  const check = async (socket: Socket, event: unknown) => {
    await ctx.security.rates.consume('connection', socket.id, rates.perConnection);
    if (typeof event === 'string' && PUBLISHING_EVENTS.has(event)) {
      const { source, ip } = socket.data as { source: string; ip?: string };
      await ctx.security.rates.consume('ip', ip ?? 'unknown', rates.perIp);
      await ctx.security.rates.consume('source', source, ctx.config.sources[source]?.maxMessagesPerSecond ?? rates.perSource);
    }
  };

  const guard: Guard = (socket, packet, next) => {
    const last = packet[packet.length - 1];
    const ack = typeof last === 'function' ? (last as (r: AckResult) => void) : undefined;
    // A packet with an ack id and no data (`2<id>`) arrives as [ack]: it has no event name.
    const event = ack && packet.length === 1 ? undefined : packet[0];
    const proceed = () => {
      if (event === undefined) {
        if (ack) refuse(socket, ack, new ImError('INVALID_PARAMETER', 'a packet needs an event name'));
        return;
      }
      // Handlers are added on a socket's first event of each kind (server/socket/socket-events.ts).
      if (typeof event !== 'string' || !ensureListener(ctx, socket, event)) {
        if (ack) refuse(socket, ack, new ImError('NOT_FOUND', `unknown event ${JSON.stringify(String(event)).slice(0, 80)}`));
        return;
      }
      next();
    };
    const fail = (err: unknown) => {
      if (!(err instanceof ImError)) ctx.logger.error({ err, socket: socket.id }, 'socket guard failed');
      refuse(socket, ack, toImError(err));
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

  // Runs first for every event of the socket, before the middlewares of socket.use (if any).
  const dispatch: Dispatch = function (this: Socket, packet: unknown[]) {
    guard(this, packet, () => socketDispatch!.call(this, packet));
  };
  found = { guard, dispatch };
  guardsByServer.set(ctx, found);
  return found;
}

/**
 * Runs before every event a client sends: the message rates (per connection, and for publishing
 * events per IP and per source), then refuses unknown events that ask for an ack, so no client
 * waits for an answer that never comes. Events of one socket stay in order (one promise chain).
 *
 * Nothing per socket but one own property: Socket.IO's `dispatch` (which every incoming event
 * goes through) is replaced by the server's shared guarded one. A Socket.IO without it gets a
 * `socket.use` middleware instead (a closure and a middleware array per socket).
 */
export function guardSocket(ctx: ServerContext, socket: Socket): void {
  const { guard, dispatch } = guardFor(ctx);
  if (typeof socketDispatch === 'function' && (socket as unknown as { dispatch?: unknown }).dispatch === socketDispatch) {
    (socket as unknown as { dispatch: Dispatch }).dispatch = dispatch;
  } else {
    socket.use((packet, next) => guard(socket, packet, next));
  }
}
