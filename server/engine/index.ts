import type { Logger } from 'pino';
import type { Server, Socket } from 'socket.io';
import { checkEngineInternals, EngineInternalsError, type EngineVersions } from './check';
import { coalesceWrites } from './coalesce-writes';
import { unexpectedMembers, webSocketConnections, type EngineClient } from './connections';
import { outgoingTap, packetGuard, type PacketGuard } from './packets';

/**
 * server/engine/ is the one place that touches private members of Socket.IO, Engine.IO and ws;
 * nothing else in the server does. What each one buys is measured in bench/ (BENCHMARKS.md:
 * "What write coalescing buys" under Fan-out, "What the two private members replaced per socket
 * save" under Memory):
 *
 * | part                  | private member                         | buys                                   |
 * |-----------------------|----------------------------------------|----------------------------------------|
 * | write coalescing      | Client#writeToEngine, WebSocket#send, ws `_socket` | fan-out: one system call per subscriber per turn |
 * | packet guard          | Socket#dispatch                        | memory: no middleware closure per socket |
 * | delivery counting     | Socket#notifyOutgoingListeners         | memory: no onAnyOutgoing listener per socket |
 * | output budgets, shutdown | Engine.IO writeBuffer, transport.socket, server.clients; socket.io Client#sockets | reads only: bytes queued, TCP sockets to cut, whom a cut was |
 */
export interface EngineOptions {
  /** Cork each WebSocket for the rest of the turn (default true; false for benchmarks). */
  coalesceWrites?: boolean;
  /** The packet guard as each socket's own `dispatch` (default true) instead of a `socket.use` middleware. */
  replaceDispatch?: boolean;
  /** Outgoing packets seen through `notifyOutgoingListeners` (default true) instead of an `onAnyOutgoing` listener. */
  replaceNotify?: boolean;
}

export interface EngineHooks {
  /** Returns what installs `guard` on one socket (see packets.ts). */
  packetGuard(guard: PacketGuard): (socket: Socket) => void;
  /** Returns what makes one socket report the event name of each packet sent to it. */
  outgoingTap(onEvent: (event: unknown) => void): (socket: Socket) => void;
  /** The TCP connections under the open WebSockets (shutdown cuts those that never answer their close frame). */
  webSocketConnections(): ReturnType<typeof webSocketConnections>;
}

/**
 * Checks the engine's private members (throws EngineInternalsError, naming the part and the
 * installed versions, when one is missing) and starts write coalescing on `io`; `afterFlush`
 * runs once per turn with the connections written to in it.
 */
export function attachEngine(
  io: Server,
  opts: { logger: Logger; afterFlush(clients: ReadonlySet<EngineClient>): void; options?: EngineOptions },
): EngineHooks {
  const versions = checkEngineInternals((message) => opts.logger.warn(message));
  if (typeof (io.engine as unknown as { clients?: unknown }).clients !== 'object') {
    throw new EngineInternalsError(['engine.io Server#clients is not an object'], versions);
  }
  const { coalesceWrites: cork = true, replaceDispatch = true, replaceNotify = true } = opts.options ?? {};
  // Registered before any other `connection` listener: coalescing starts with the first packet.
  coalesceWrites(io, { afterFlush: opts.afterFlush, cork });
  // What is read of a live connection can only be checked on one: the first (a websocket one, as
  // most are). Said loudly once; the server keeps serving, with what relies on it degraded.
  const checkLive = (socket: Socket) => {
    const client = socket.client as unknown as EngineClient;
    if (client.conn.transport.name !== 'websocket') return;
    io.off('connection', checkLive);
    const wrong = unexpectedMembers(client);
    if (wrong.length) {
      opts.logger.error(
        { versions },
        `engine internals not as tested: ${wrong.join('; ')}: write coalescing, output budgets and shutdown may not work; reinstall @node-socket-im/server (its pinned versions)`,
      );
    }
  };
  io.on('connection', checkLive);
  return {
    packetGuard: (guard) => packetGuard(guard, replaceDispatch),
    outgoingTap: (onEvent) => outgoingTap(onEvent, replaceNotify),
    webSocketConnections: () => webSocketConnections(io),
  };
}

export { EngineInternalsError, TESTED_VERSIONS, type EngineVersions } from './check';
export { bufferedAmountOf, cutTransport, socketsOf, tcpOf, writeBufferOf, type EngineClient, type EngineConn, type Transport } from './connections';
export type { PacketGuard } from './packets';
