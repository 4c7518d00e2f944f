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

/**
 * Runs before every event a client sends: the message rates (per connection, and for publishing
 * events per IP and per source), then refuses unknown events that ask for an ack, so no client
 * waits for an answer that never comes. Events of one socket stay in order (one promise chain).
 */
export function guardSocket(ctx: ServerContext, socket: Socket): void {
  const rates = ctx.config.rateLimits;
  const { source } = socket.data;
  const sourceRate = ctx.config.sources[source]?.maxMessagesPerSecond ?? rates.perSource;
  const ip = socket.data.ip ?? 'unknown';
  let chain: Promise<void> = Promise.resolve();

  const check = async (event: unknown) => {
    await ctx.security.rates.consume('connection', socket.id, rates.perConnection);
    if (typeof event === 'string' && PUBLISHING_EVENTS.has(event)) {
      await ctx.security.rates.consume('ip', ip, rates.perIp);
      await ctx.security.rates.consume('source', source, sourceRate);
    }
  };

  socket.use((packet, next) => {
    const last = packet[packet.length - 1] as unknown;
    const ack = typeof last === 'function' ? (last as (r: AckResult) => void) : undefined;
    // A packet with an ack id and no data (`2<id>`) arrives as [ack]: it has no event name.
    const event = ack && packet.length === 1 ? undefined : (packet[0] as unknown);
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
    chain = chain
      .then(() => check(event))
      .then(proceed, fail)
      .catch((err: unknown) => ctx.logger.error({ err, socket: socket.id }, 'socket guard failed'));
  });
}
