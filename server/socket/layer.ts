import type { ClientToServerEvents } from '../../packages/protocol';
import type { ServerContext } from '../context';
import type { EngineHooks } from '../engine';
import type { ImSocket } from '../core/im-server';
import { handshakeMiddleware } from './auth';
import { connectionCaps } from './connection-caps';
import { createLegacyRefusals } from './legacy-v2';
import { createPacketGuard } from './packet-guard';

export type EventName = keyof ClientToServerEvents;
/**
 * A client event's handler, one per server, shared by its sockets: Socket.IO calls it with
 * `this` = the socket and the values the client sent, unchecked (the ack last, if any).
 */
export type EventHandler = (this: ImSocket, ...args: unknown[]) => void;

/**
 * The server's Socket.IO layer: the handshake, then for every accepted connection the connection
 * hooks in the order they were added, and for every packet the guard (rates, unknown events,
 * order), then the handler from the event table.
 */
export interface SocketLayer {
  /**
   * Adds a client event to the table. `handlerFor` picks the handler for one socket (undefined:
   * that socket does not take the event; an ack is answered NOT_FOUND). A socket gets the
   * listener on its first packet of that event, not when it connects: most connections of a relay
   * never send anything, and every event name with a listener costs each socket an entry in its
   * EventEmitter (about 300 bytes across six names; BENCHMARKS.md, memory).
   */
  define(event: EventName, handlerFor: (socket: ImSocket) => EventHandler | undefined): void;
  /** Runs for every accepted connection (after the handshake and the connection caps). */
  onConnection(hook: (socket: ImSocket) => void): void;
}

/**
 * Builds the socket layer of one server: nothing is kept per server outside it, and nothing per
 * connection but what the features need (see `define`).
 */
export function createSocketLayer(ctx: ServerContext, engine: Pick<EngineHooks, 'packetGuard' | 'outgoingTap'>): SocketLayer {
  const table = new Map<string, (socket: ImSocket) => EventHandler | undefined>();
  const hooks: Array<(socket: ImSocket) => void> = [];

  /** Makes sure `socket` listens to `event` before Socket.IO emits it; false when it does not take it. */
  const listen = (socket: ImSocket, event: string): boolean => {
    if (socket.listeners(event as EventName).length > 0) return true;
    const handler = table.get(event)?.(socket);
    if (!handler) return false;
    socket.on(event as EventName, handler as never);
    return true;
  };

  const guardPackets = engine.packetGuard(createPacketGuard(ctx, listen));
  const countDeliveries = engine.outgoingTap((event) => {
    if (event === 'newMsg') ctx.metrics.deliveries.inc();
  });
  const trackCaps = connectionCaps(ctx);
  // A refused Socket.IO 2 client is told with `sys_error`, then let go (legacy-v2.ts).
  const legacy = createLegacyRefusals();
  ctx.io.use(legacy.wrap(handshakeMiddleware(ctx)));
  ctx.io.on('connection', (socket) => {
    if (legacy.handle(socket)) return;
    countDeliveries(socket);
    trackCaps(socket);
    guardPackets(socket);
    for (const hook of hooks) hook(socket);
  });

  return {
    define(event, handlerFor) {
      if (table.has(event)) throw new Error(`socket event ${event} is defined twice`);
      table.set(event, handlerFor);
    },
    onConnection(hook) {
      hooks.push(hook);
    },
  };
}
