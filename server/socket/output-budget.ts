import { bufferedAmountOf, cutTransport, writeBufferOf, type EngineClient, type EngineConn } from '../engine';

/**
 * Output budgets: how many bytes may wait to be sent to one connection, and to all of them
 * together. A reader that stops reading (a paused TCP socket, a frozen tab) would otherwise
 * make the server hold everything sent to it until the ping timeout (engine.io queues it in
 * the socket's `writeBuffer`, ws and the kernel in the TCP buffer).
 *
 * Measured once per turn of the event loop, for the connections written to in that turn (see
 * server/engine/coalesce-writes.ts, which already sees every write), never per packet:
 *   queued = the packets in engine.io's writeBuffer (characters of their text, bytes of binary)
 *          + the WebSocket's `bufferedAmount` (ws: bytes in the TCP socket's write buffer).
 * For long-polling only the writeBuffer counts (it holds what the next poll would get).
 *
 * Over a budget the connection's transport is cut (the TCP socket destroyed, a polling session
 * closed), never a Socket.IO `disconnect` packet: a stalled reader cannot read one, and on
 * `io server disconnect` clients stop for good. A well-behaved client reconnects and catches up
 * from room history; `onCut` lets the server tell it why on its next handshake.
 *
 * Connections holding at least `floor` bytes are kept in one map (only those: per-connection
 * memory stays as it was) so the total can be summed; the fullest go first when it is over.
 */
export interface OutputBudgetOptions {
  /** Bytes queued to one connection before it is cut; 0: no limit. */
  perConnection: number;
  /** Bytes queued to all connections together before the fullest are cut; 0: no limit. */
  total: number;
  onCut(client: EngineClient, queued: number, budget: 'connection' | 'total'): void;
}

export interface OutputBudget {
  /** Called once per turn with the connections written to in it. */
  check(clients: Iterable<EngineClient>): void;
  /** Bytes queued to the connections currently counted (those with at least `floor` bytes). */
  readonly counted: number;
}

interface Counted {
  bytes: number;
  /** The writeBuffer array last summed, how many of its packets and their size (engine.io only appends to it, and replaces it on flush). */
  wb: unknown[] | undefined;
  wbCount: number;
  wbBytes: number;
}

const FLOOR = 64 * 1024;

function packetSize(packet: unknown): number {
  const data = (packet as { data?: unknown } | undefined)?.data;
  if (typeof data === 'string') return data.length;
  if (data && typeof (data as ArrayBufferLike).byteLength === 'number') return (data as ArrayBufferLike).byteLength;
  return 0;
}

/** Sums the writeBuffer, starting where the last sum of the same array stopped. */
function measure(conn: EngineConn, c: Counted): number {
  const wb = writeBufferOf(conn);
  if (!wb) {
    c.wb = undefined;
    c.wbCount = c.wbBytes = 0;
  } else {
    if (c.wb !== wb) {
      c.wb = wb;
      c.wbCount = c.wbBytes = 0;
    }
    for (let i = c.wbCount; i < wb.length; i++) c.wbBytes += packetSize(wb[i]);
    c.wbCount = wb.length;
  }
  c.bytes = c.wbBytes + bufferedAmountOf(conn);
  return c.bytes;
}

export function createOutputBudget(opts: OutputBudgetOptions): OutputBudget {
  const { perConnection, total } = opts;
  const floor = total > 0 ? Math.max(1, Math.min(FLOOR, Math.floor(total / 1024))) : FLOOR;
  const heavy = new Map<EngineClient, Counted>();
  const scratch: Counted = { bytes: 0, wb: undefined, wbCount: 0, wbBytes: 0 };
  let counted = 0;

  const cut = (client: EngineClient, bytes: number, budget: 'connection' | 'total') => {
    heavy.delete(client);
    try {
      opts.onCut(client, bytes, budget);
    } finally {
      cutTransport(client);
    }
  };

  return {
    get counted() {
      return counted;
    },
    check(clients) {
      if (perConnection <= 0 && total <= 0) return;
      for (const client of clients) {
        if (client.conn.readyState === 'closed') {
          heavy.delete(client);
          continue;
        }
        let c = heavy.get(client);
        if (!c) {
          scratch.wb = undefined;
          scratch.wbCount = scratch.wbBytes = 0;
          const bytes = measure(client.conn, scratch);
          if (bytes < floor && (perConnection <= 0 || bytes <= perConnection)) continue;
          c = { ...scratch };
          scratch.wb = undefined;
          heavy.set(client, c);
        } else {
          measure(client.conn, c);
        }
        if (perConnection > 0 && c.bytes > perConnection) cut(client, c.bytes, 'connection');
      }
      if (heavy.size === 0) {
        counted = 0;
        return;
      }
      // Connections not written to this turn may have drained (or closed) since: measure again.
      counted = 0;
      for (const [client, c] of heavy) {
        if (client.conn.readyState === 'closed') {
          heavy.delete(client);
          continue;
        }
        measure(client.conn, c);
        if (c.bytes < floor) heavy.delete(client);
        else counted += c.bytes;
      }
      if (total <= 0 || counted <= total) return;
      const fullest = [...heavy].sort((a, b) => b[1].bytes - a[1].bytes);
      for (const [client, c] of fullest) {
        if (counted <= total) break;
        counted -= c.bytes;
        cut(client, c.bytes, 'total');
      }
    },
  };
}
