import { ImError, toImError, type AckResult } from '../../packages/protocol';
import type { ServerContext } from '../context';
import type { PacketGuard } from '../engine';
import type { ImSocket } from '../core/im-server';
import { refuse } from './ack';

/** Events that publish messages: they count against the per-IP and per-source rates. */
const PUBLISHING_EVENTS = new Set(['postMsg', 'postLogs']);

/**
 * Runs before every event a client sends: the message rates (per connection, and for publishing
 * events per IP and per source), then refuses unknown events that ask for an ack, so no client
 * waits for an answer that never comes. Events of one socket stay in order (one promise chain,
 * kept only while that socket has events in flight: idle connections keep nothing here).
 *
 * `listen(socket, event)` makes sure the socket listens to `event` (the socket layer's table) and
 * says false when the socket does not take it.
 */
export function createPacketGuard(ctx: ServerContext, listen: (socket: ImSocket, event: string) => boolean): PacketGuard {
  const rates = ctx.config.rateLimits;
  const chains = new WeakMap<object, Promise<void>>();

  const check = async (socket: ImSocket, event: unknown) => {
    await ctx.security.rates.consume('connection', socket.id, rates.perConnection);
    if (typeof event === 'string' && PUBLISHING_EVENTS.has(event)) {
      const { source, ip } = socket.data;
      await ctx.security.rates.consume('ip', ip ?? 'unknown', rates.perIp);
      await ctx.security.rates.consume('source', source, ctx.config.sources[source]?.maxMessagesPerSecond ?? rates.perSource);
    }
  };

  return (raw, packet, next) => {
    const socket = raw as ImSocket;
    const last = packet[packet.length - 1];
    const ack = typeof last === 'function' ? (last as (r: AckResult) => void) : undefined;
    // A packet with an ack id and no data (`2<id>`) arrives as [ack]: it has no event name.
    const event = ack && packet.length === 1 ? undefined : packet[0];
    const proceed = () => {
      if (event === undefined) {
        if (ack) refuse(socket, ack, new ImError('INVALID_PARAMETER', 'a packet needs an event name'));
        return;
      }
      if (typeof event !== 'string' || !listen(socket, event)) {
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
}
