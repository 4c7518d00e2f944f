import { Socket as NetSocket } from 'node:net';
import type { Server } from 'socket.io';

/**
 * Engine.IO connections as server/engine/ reads them (engine.io 6, ws 8: private members, checked
 * by check.ts; tested in test/integration/engine-internals.test.ts).
 */
export interface Transport {
  name?: string;
  /** For a WebSocket: the ws WebSocket (its TCP connection as `_socket`). */
  socket?: { _socket?: NetSocket; bufferedAmount?: number };
  send(packets: unknown[]): void;
}
/** An Engine.IO socket (one connection). */
export interface EngineConn {
  transport: Transport;
  readyState: string;
  /** Packets waiting for the transport to become writable. */
  writeBuffer: unknown[];
  close(discard?: boolean): void;
  on(event: 'upgrade', fn: (transport: Transport) => void): void;
}
/** A Socket.IO Client: one per Engine.IO connection, shared by its namespaces. */
export interface EngineClient {
  conn: EngineConn;
  writeToEngine(packets: unknown, opts: unknown): void;
  /** Its Socket.IO sockets (one per namespace joined). */
  sockets?: Map<string, { data?: unknown; handshake?: { query?: unknown; auth?: unknown } }>;
}

/** The TCP connection under an Engine.IO transport, when it is a WebSocket (ws keeps it as `_socket`). */
export function tcpOf(transport: Transport | undefined): NetSocket | undefined {
  if (transport?.name !== 'websocket') return undefined;
  return transport.socket?._socket;
}

/** The Socket.IO sockets of one connection (one per namespace joined; socket.io keeps them as `sockets`). */
export function socketsOf(client: EngineClient): ReadonlyMap<string, { data?: unknown; handshake?: { query?: unknown; auth?: unknown } }> {
  return client.sockets instanceof Map ? client.sockets : new Map();
}

/**
 * What is read of a live connection, checked on the first one (it cannot be checked before one
 * exists): the names of the members that are not as expected, none when all are.
 */
export function unexpectedMembers(client: EngineClient): string[] {
  const wrong: string[] = [];
  if (!(client.sockets instanceof Map)) wrong.push('socket.io Client#sockets is not a Map');
  if (!Array.isArray(client.conn?.writeBuffer)) wrong.push('engine.io Socket#writeBuffer is not an array');
  const transport = client.conn?.transport;
  if (transport?.name === 'websocket' && !(tcpOf(transport) instanceof NetSocket)) wrong.push('engine.io WebSocket transport: socket._socket is not a net.Socket');
  return wrong;
}

/** The packets engine.io holds for a connection until its transport can write (replaced, never shrunk, on flush). */
export function writeBufferOf(conn: EngineConn): unknown[] | undefined {
  return Array.isArray(conn.writeBuffer) ? conn.writeBuffer : undefined;
}

/** Bytes ws has handed to the TCP socket and the kernel has not taken yet (0 for long-polling). */
export function bufferedAmountOf(conn: EngineConn): number {
  const ws = conn.transport?.name === 'websocket' ? conn.transport.socket : undefined;
  return typeof ws?.bufferedAmount === 'number' ? ws.bufferedAmount : 0;
}

/** Ends the transport under a connection without a goodbye it could not read anyway. */
export function cutTransport(client: EngineClient): void {
  const conn = client.conn;
  const tcp = tcpOf(conn.transport);
  if (tcp) tcp.destroy();
  else conn.close(true);
}

/**
 * The TCP connections under the open WebSockets. Engine.IO forgets a session as soon as it has
 * sent its close frame, while ws waits up to 30 s for the answer: read them before closing.
 */
export function webSocketConnections(io: Server): NetSocket[] {
  const clients = (io.engine as unknown as { clients: Record<string, { transport?: Transport }> }).clients;
  return Object.values(clients).flatMap((c) => tcpOf(c.transport) ?? []);
}
