import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { serveCommands } from '../lib/ipc';

/**
 * Hook ingestion load (bench/parts/push.ts): `connections` publish-only hook connections
 * (`role=publisher`, source remote_debug, room console-log), each sending `postLogs` batches of
 * `batch` log entries with an ack, one batch in flight per connection, for `durationMs`. Counts
 * the entries acknowledged.
 */
export interface HookRunRequest {
  base: string;
  connections: number;
  batch: number;
  warmupMs: number;
  durationMs: number;
}
export interface HookRunResult {
  entries: number;
  refused: number;
  ms: number;
  entriesPerSecond: number;
  /** Entries acknowledged over the whole run, warm-up and drain included (for CPU per entry). */
  allEntries: number;
  firstError?: string;
}

function entries(session: string, seq: number, n: number): unknown[] {
  const ts = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    kind: 'log',
    v: 1,
    level: 'log',
    method: 'log',
    args: [`bench entry ${seq + i}`, { n: seq + i }],
    ts,
    seq: seq + i,
    session,
    origin: 'node',
  }));
}

async function run(r: HookRunRequest): Promise<HookRunResult> {
  const sockets: Socket[] = [];
  try {
    await Promise.all(
      Array.from({ length: r.connections }, (_, i) => {
        const s = io(`${r.base}?source=remote_debug&room_ids=console-log&role=publisher&userid=hook${i}&username=hook${i}`, {
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
        });
        sockets.push(s);
        return new Promise<void>((resolve, reject) => {
          s.once('connect', () => resolve());
          s.once('connect_error', (err) => reject(new Error(`hook ${i}: ${err.message}`)));
        });
      }),
    );
    let counting = false;
    let acked = 0;
    let all = 0;
    let refused = 0;
    let firstError: string | undefined;
    let stop = false;
    const loops = sockets.map(async (s, i) => {
      let seq = 1;
      while (!stop) {
        const batch = entries(`bench-${i}`, seq, r.batch);
        seq += r.batch;
        const answer = (await s.timeout(10_000).emitWithAck('postLogs', batch, 'console-log').catch((e: Error) => ({ ok: false, error: { message: e.message } }))) as {
          ok: boolean;
          error?: { message: string };
        };
        if (answer.ok) all += r.batch;
        if (!counting) continue;
        if (answer.ok) acked += r.batch;
        else {
          refused += r.batch;
          firstError ??= answer.error?.message;
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, r.warmupMs));
    counting = true;
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, r.durationMs));
    const ms = performance.now() - start;
    const entriesCounted = acked;
    counting = false;
    stop = true;
    await Promise.all(loops);
    return { entries: entriesCounted, refused, ms, entriesPerSecond: (entriesCounted / ms) * 1000, allEntries: all, firstError };
  } finally {
    for (const s of sockets) s.close();
  }
}

serveCommands({ run }, { pid: process.pid });
