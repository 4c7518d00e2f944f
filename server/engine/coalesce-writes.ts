import type { Socket as NetSocket } from 'node:net';
import type { Server } from 'socket.io';
import { tcpOf, type EngineClient, type Transport } from './connections';

/**
 * Sends the frames that one turn of the event loop writes to a connection in one system call.
 *
 * Socket.IO writes each packet to each websocket with a write of its own, and in a fan-out that
 * write (a `writev` per subscriber per message) is most of the server's CPU time. When several
 * messages reach the same subscriber in one turn (several pushes read in one poll phase, a
 * busy Redis subscription), they can share one write:
 *
 * 1. The first packet written to a websocket in a turn corks its TCP socket, and every corked
 *    socket is uncorked in `setImmediate`, right after the poll phase that produced the writes:
 *    nothing waits past the current turn of the loop.
 * 2. Meanwhile engine.io queues the next packets of that socket (its transport stays
 *    unwritable until the first write completes) and hands them over as one batch; the batch is
 *    written under a cork too, so it also leaves in one system call.
 *
 * Only websocket connections are touched (long-polling already batches per response). The
 * private members used (Client#writeToEngine, the WebSocket transport's send, ws's `_socket`)
 * are checked at start-up by check.ts.
 */
export interface CoalesceOptions {
  /**
   * Called once per turn, after the uncork, with the connections written to in that turn
   * (output-budget.ts measures what is queued to them there: no cost per packet).
   */
  afterFlush?(clients: ReadonlySet<EngineClient>): void;
  /**
   * False: no corking, only the once-per-turn `afterFlush` (benchmarks measure what coalescing
   * buys with it). Default true.
   */
  cork?: boolean;
}

export function coalesceWrites(io: Server, options: CoalesceOptions = {}): () => void {
  const corked = new Set<NetSocket>();
  /** Connections written to in this turn. */
  const touched = new Set<EngineClient>();
  const { afterFlush, cork = true } = options;
  let scheduled: NodeJS.Immediate | undefined;
  const release = () => {
    scheduled = undefined;
    for (const tcp of corked) tcp.uncork();
    corked.clear();
    try {
      afterFlush?.(touched);
    } finally {
      touched.clear();
    }
  };
  const corkThisTurn = (tcp: NetSocket | undefined) => {
    if (!cork || !tcp || corked.has(tcp) || tcp.destroyed) return;
    tcp.cork();
    corked.add(tcp);
  };

  // Shared by every connection (one own property each, no closure per connection: idle
  // connections are what a relay holds most of). The prototype keeps the original.
  function writeToEngine(this: EngineClient, packets: unknown, opts: unknown): void {
    if (!touched.has(this)) {
      touched.add(this);
      corkThisTurn(tcpOf(this.conn.transport));
      scheduled ??= setImmediate(release);
    }
    (Object.getPrototypeOf(this) as EngineClient).writeToEngine.call(this, packets, opts);
  }

  const onConnection = (socket: { client: unknown }) => {
    const client = socket.client as EngineClient;
    // One client carries every namespace of a connection: wrap it once.
    if (client.writeToEngine === writeToEngine) return;
    client.writeToEngine = writeToEngine;
    if (!cork) return;
    if (client.conn.transport.name === 'websocket') batchTransport(client.conn.transport);
    else client.conn.on('upgrade', batchTransport);
  };
  io.on('connection', onConnection);

  return () => {
    io.off('connection', onConnection);
    if (scheduled) clearImmediate(scheduled);
    release();
  };
}

/** Writes a batch of packets under one cork: one system call instead of one per packet. */
function batchedSend(this: Transport, packets: unknown[]): void {
  const send = (Object.getPrototypeOf(this) as Transport).send;
  const tcp = packets.length > 1 ? tcpOf(this) : undefined;
  if (!tcp) return send.call(this, packets);
  tcp.cork();
  try {
    send.call(this, packets);
  } finally {
    tcp.uncork();
  }
}

function batchTransport(transport: Transport): void {
  if (transport.name !== 'websocket' || transport.send === batchedSend) return;
  transport.send = batchedSend;
}
