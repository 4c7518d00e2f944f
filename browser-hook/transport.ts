import { io, type Socket } from 'socket.io-client';
import type { AckResult, ClientToServerEvents, ServerToClientEvents } from '../packages/protocol';
import type { EntryBuffer } from '../packages/log-core';
import type { DebugEntry as LogEntry } from './instrument/types';

export interface TransportOptions {
  /** Origin (and optional path-less URL) of the relay server. */
  server: string;
  source: string;
  /** Room (or comma-separated rooms) to publish to. */
  room: string;
  /** A publish-only token for sources without unsigned hook rooms. */
  credential?: string;
  userid: string;
  username: string;
  buffer: EntryBuffer<LogEntry>;
  /** Called on each entry as it leaves the buffer; null drops it. */
  finalize(entry: LogEntry): LogEntry | null;
  /** The hook's own messages, through the original console. */
  diag(level: 'warn' | 'info', message: string): void;
  batchSize: number;
  flushDelayMs: number;
  ackTimeoutMs: number;
  /** First wait after a RATE_LIMITED answer; it doubles up to 30 s. */
  retryDelayMs: number;
}

export interface TransportStatus {
  connected: boolean;
  /** Entries waiting in the buffer. */
  buffered: number;
  /** Entries the server accepted. */
  sent: number;
  /** Entries lost to buffer overflow or refused by the server as malformed. */
  dropped: number;
  /** Batches the server answered RATE_LIMITED (kept and sent again later). */
  rateLimited: number;
  /** Set when the server refused the hook for good (bad source, room or credential). */
  refused?: string;
}

export interface Transport {
  /** A new entry is in the buffer: send soon, batched. */
  schedule(): void;
  /** Send what is buffered now (when connected). */
  flush(): void;
  status(): TransportStatus;
  /** Sends what it can, then disconnects. */
  close(): void;
}

type HookSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

// Handshake refusals that retrying cannot fix.
const FATAL_CODES = ['FORBIDDEN', 'UNKNOWN_SOURCE', 'BAD_SIGN', 'SOURCE_REQUIRED', 'ROOMS_REQUIRED', 'INVALID_ROOM', 'TOO_MANY_ROOMS', 'INVALID_PARAMETER'];
const MAX_RETRY_MS = 30_000;

/**
 * The hook's connection: a publish-only Socket.IO client (`role=publisher`). Entries leave the
 * buffer in order, one batch in flight at a time; a batch that fails goes back to the front of
 * the buffer, so what was logged while the server was away arrives, in order, once it is back.
 * Nothing here waits synchronously on the network.
 */
export function createTransport(o: TransportOptions): Transport {
  const query: Record<string, string> = {
    source: o.source,
    room_ids: o.room,
    role: 'publisher',
    userid: o.userid,
    username: o.username,
  };
  if (o.credential) query.credential = o.credential;
  const socket: HookSocket = io(o.server, {
    query,
    forceNew: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
    timeout: 10_000,
  });

  let inflight: LogEntry[] | undefined;
  let flight = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let retryAt = 0;
  let retryDelay = o.retryDelayMs;
  let oneByOne = 0;
  let sent = 0;
  let rejected = 0;
  let rateLimited = 0;
  let refused: string | undefined;
  let closing = false;
  let warnedOffline = false;

  const arm = (ms: number) => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      flush();
    }, ms);
  };

  const giveBack = (batch: LogEntry[]) => {
    o.buffer.restore(batch);
  };

  const takeBatch = (): LogEntry[] => {
    const batch: LogEntry[] = [];
    let carried = 0;
    const want = oneByOne > 0 ? 1 : o.batchSize;
    while (batch.length < want && o.buffer.size > 0) {
      for (const raw of o.buffer.take(want - batch.length)) {
        const entry = o.finalize(raw);
        if (entry === null) {
          // Dropped by beforeSend: its count of earlier losses moves to the next entry.
          carried += raw.dropped ?? 0;
          continue;
        }
        if (carried > 0) {
          entry.dropped = (entry.dropped ?? 0) + carried;
          carried = 0;
        }
        batch.push(entry);
      }
    }
    if (carried > 0) o.buffer.noteDropped(carried);
    return batch;
  };

  const flush = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (inflight || refused || !socket.connected) return;
    const wait = retryAt - Date.now();
    if (wait > 0) {
      arm(wait);
      return;
    }
    const batch = takeBatch();
    if (batch.length === 0) {
      if (closing) socket.disconnect();
      return;
    }
    inflight = batch;
    const id = ++flight;
    // With timeout() the ack gets (err, result); the typed event map does not model that.
    const timed = socket.timeout(o.ackTimeoutMs) as unknown as {
      emit(ev: 'postLogs', entries: LogEntry[], rooms: string, ack: (err: Error | null, res?: AckResult) => void): void;
    };
    timed.emit('postLogs', batch, o.room, (err, res) => {
      if (id !== flight || inflight !== batch) return; // given back on disconnect already
      inflight = undefined;
      if (err || !res) {
        giveBack(batch);
        arm(o.retryDelayMs);
        return;
      }
      if (res.ok) {
        sent += batch.length;
        retryDelay = o.retryDelayMs;
        if (oneByOne > 0) oneByOne--;
        if (o.buffer.size > 0) arm(0);
        else if (closing) socket.disconnect();
        return;
      }
      const { code, message } = res.error;
      if (code === 'RATE_LIMITED') {
        rateLimited++;
        giveBack(batch);
        retryAt = Date.now() + retryDelay;
        retryDelay = Math.min(retryDelay * 2, MAX_RETRY_MS);
        arm(retryAt - Date.now());
      } else if (code === 'FORBIDDEN') {
        giveBack(batch);
        refused = message;
        o.diag('warn', `remote debug: the server refused log entries: ${message}`);
      } else if (batch.length > 1) {
        // One entry in the batch is bad (too large, malformed): find it by sending one at a time.
        giveBack(batch);
        oneByOne = batch.length;
        arm(0);
      } else {
        rejected++;
        o.diag('warn', `remote debug: the server refused a log entry (${code}): ${message}`);
        if (o.buffer.size > 0) arm(0);
      }
    });
  };

  socket.on('connect', () => {
    warnedOffline = false;
    flush();
  });
  socket.on('disconnect', () => {
    if (inflight) {
      // The ack will not come now; send the batch again after reconnecting.
      giveBack(inflight);
      inflight = undefined;
    }
  });
  // Non-fatal: the last connection was cut because it did not read (output budget); entries it
  // had in flight went back to the buffer and are sent again now.
  socket.on('sys_notice', (notice) => {
    if (notice && typeof notice === 'object') o.diag('warn', `remote debug: ${o.server}: ${notice.code}: ${notice.message}`);
  });
  socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
    const code = err.data?.code;
    if (code && FATAL_CODES.includes(code)) {
      refused = err.message;
      o.diag('warn', `remote debug: ${o.server} refused the hook (${code}): ${err.message}`);
      socket.disconnect();
    } else if (code && !socket.active) {
      // Refused for now (a connection cap is full, the server is busy): Socket.IO does not retry
      // a refused handshake by itself, so try again later, backing off.
      if (!warnedOffline) {
        warnedOffline = true;
        o.diag('info', `remote debug: ${o.server} turned the hook away for now (${code}): ${err.message}; keeping entries and retrying`);
      }
      const wait = retryDelay;
      retryDelay = Math.min(retryDelay * 2, MAX_RETRY_MS);
      setTimeout(() => {
        if (!closing && !refused && !socket.active) socket.connect();
      }, wait);
    } else if (!warnedOffline) {
      warnedOffline = true;
      o.diag('info', `remote debug: ${o.server} is not reachable yet; keeping entries until it is (${err.message})`);
    }
  });

  return {
    schedule() {
      if (o.buffer.size >= o.batchSize) arm(0);
      else arm(o.flushDelayMs);
    },
    flush,
    status: () => ({
      connected: socket.connected,
      buffered: o.buffer.size,
      sent,
      dropped: o.buffer.droppedTotal + rejected,
      rateLimited,
      refused,
    }),
    close() {
      closing = true;
      if (!socket.connected || refused) {
        socket.disconnect();
        return;
      }
      flush();
      // Do not keep a connection open for long on behalf of an uninstalled hook.
      setTimeout(() => socket.disconnect(), 2000);
    },
  };
}
