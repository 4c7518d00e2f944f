import type { Socket as NetSocket } from 'node:net';
import type { Server } from 'socket.io';

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
 * Only websocket connections are touched (long-polling already batches per response). If a
 * future engine.io or ws changes the internals used here, this silently does nothing.
 */
export function coalesceWrites(io: Server): () => void {
  const corked = new Set<NetSocket>();
  let scheduled: NodeJS.Immediate | undefined;
  const release = () => {
    scheduled = undefined;
    for (const tcp of corked) tcp.uncork();
    corked.clear();
  };

  const onConnection = (socket: { client: unknown }) => {
    const client = socket.client as EngineClient;
    // One client carries every namespace of a connection: wrap it once.
    if (client.__coalesced) return;
    client.__coalesced = true;
    const write = client.writeToEngine.bind(client);
    client.writeToEngine = (packets, opts) => {
      const tcp = tcpOf(client.conn.transport);
      if (tcp && !corked.has(tcp) && !tcp.destroyed) {
        tcp.cork();
        corked.add(tcp);
        scheduled ??= setImmediate(release);
      }
      write(packets, opts);
    };
    batchTransport(client.conn.transport);
    client.conn.on('upgrade', (transport: Transport) => batchTransport(transport));
  };
  io.on('connection', onConnection);

  return () => {
    io.off('connection', onConnection);
    if (scheduled) clearImmediate(scheduled);
    release();
  };
}

interface Transport {
  name?: string;
  socket?: { _socket?: NetSocket };
  send(packets: unknown[]): void;
  __batched?: true;
}
interface EngineClient {
  conn: { transport: Transport; on(event: 'upgrade', fn: (transport: Transport) => void): void };
  writeToEngine(packets: unknown, opts: unknown): void;
  __coalesced?: true;
}

function tcpOf(transport: Transport | undefined): NetSocket | undefined {
  if (transport?.name !== 'websocket') return undefined;
  return transport.socket?._socket;
}

/** Writes a batch of packets under one cork: one system call instead of one per packet. */
function batchTransport(transport: Transport): void {
  if (transport.__batched || transport.name !== 'websocket') return;
  transport.__batched = true;
  const send = transport.send.bind(transport);
  transport.send = (packets) => {
    const tcp = tcpOf(transport);
    if (packets.length < 2 || !tcp) return send(packets);
    tcp.cork();
    try {
      send(packets);
    } finally {
      tcp.uncork();
    }
  };
}
