import { readFileSync } from 'node:fs';
import type { ConnectResult } from '../load/load-generator';
import { SERVER_LABEL, startLoadGenerator, startServer, type PartContext, type PartOutput, type ServerKind } from '../lib/part';
import { fmtBytes, fmtInt, fmtRatio } from '../lib/stats';

const KINDS: ServerKind[] = ['ours', 'bare', 'raw'];

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

interface Row {
  kind: ServerKind;
  connected: number;
  connectMs: number;
  rssPer: number;
  heapPer: number;
  externalPer: number;
  before: Memory;
  after: Memory;
}

/**
 * Where our extra heap per connection goes. Measured once (2026-11-26, 3,000 connections, distinct
 * users) with a scratch copy of server/create-server.ts that skipped one per-connection step at
 * a time; the product has no switch for it, so this is not re-measured on every run.
 */
const MEMORY_BREAKDOWN =
  '**What holds it back:** the extra heap is per-connection state that features keep, not Socket.IO overhead. ' +
  'Measured once (2026-11-26, 3,000 connections, distinct users) with a scratch copy of `server/create-server.ts` that ' +
  'skipped one per-connection step at a time, the ≈ 4.1 KB ours then held beyond the bare relay per connection split into: presence ' +
  '(the online-user record, its copy in the presence store, per-user and "seen today" entries, five handlers) ≈ 1.7 KB; ' +
  'the socket handlers (`postMsg`, `postLogs`, `history`, `disconnect` and a rights check: five closures per connection) ' +
  '≈ 1.0 KB; the per-connection rate-limit guard (`socket.use` middleware and its promise chain) ≈ 0.6 KB; ' +
  'the per-IP/per-user connection-cap bookkeeping ≈ 0.4 KB, paid even when both caps are 0 (the default); the ' +
  '`im_deliveries_total` counter, an `onAnyOutgoing` listener on every socket, ≈ 0.2 KB (it also costs a call per ' +
  'delivery); the handshake\'s `socket.data` ≈ 0.3 KB. Closures are dearer than they look here: the server runs through ' +
  'tsx, whose esbuild transform keeps function names by defining `name` on each named closure, which gives every such ' +
  'closure a property array of its own. Getting within 1.1× would mean sharing the handlers between connections ' +
  '(one function per server reading `this`), creating the token buckets and cap entries lazily or not at all when the ' +
  'limit is off, counting deliveries per broadcast instead of per socket, and keeping the presence record in one place.';

/** Leaves a few descriptors for the server's own files and the Redis/IPC sockets. */
function connectionBudget(want: number): number {
  // Node has no getrlimit; /proc tells the soft limit on Linux, which is where this runs.
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const soft = Number(/Max open files\s+(\d+)/.exec(limits)?.[1]);
    if (Number.isFinite(soft)) return Math.min(want, soft - 200);
  } catch {
    // Not Linux: trust the requested count.
  }
  return want;
}

/**
 * Memory per idle connection: the server's RSS and V8 heap (after full collections, the server
 * runs with --expose-gc) before and after N clients connect and sit idle, divided by N. The
 * clients join 100 different rooms, 100 per room, like a real page population.
 */
export async function memoryPart(ctx: PartContext): Promise<PartOutput> {
  const wanted = ctx.quick ? 1000 : 10_000;
  const count = connectionBudget(wanted);
  const rooms = Array.from({ length: 100 }, (_, i) => `room-${i}`);
  const rows: Row[] = [];
  const load = await startLoadGenerator();
  try {
    for (const kind of KINDS) {
      const server = await startServer(kind);
      try {
        const before = await server.call<Memory>('mem');
        const c = await load.call<ConnectResult>('connect', { base: server.base, count, rooms, concurrency: 100, timeoutMs: 90_000 }, 100_000);
        if (c.connected !== count) throw new Error(`${kind}: ${c.connected}/${count} connected (${c.firstError})`);
        // Let the last handshakes' garbage and socket buffers settle before measuring.
        await new Promise((r) => setTimeout(r, 500));
        const after = await server.call<Memory>('mem');
        const per = (k: keyof Memory) => (after[k] - before[k]) / c.connected;
        rows.push({ kind, connected: c.connected, connectMs: c.ms, rssPer: per('rss'), heapPer: per('heapUsed'), externalPer: per('external'), before, after });
        ctx.log(`${kind}: ${c.connected} connections in ${(c.ms / 1000).toFixed(1)} s, ${fmtBytes(per('rss'))} RSS and ${fmtBytes(per('heapUsed'))} heap each`);
        await load.call('disconnect');
      } finally {
        await server.stop();
      }
    }
  } finally {
    await load.stop();
  }

  const bare = rows.find((r) => r.kind === 'bare')!;
  const ours = rows.find((r) => r.kind === 'ours')!;
  const rssRatio = ours.rssPer / bare.rssPer;
  const heapRatio = ours.heapPer / bare.heapPer;
  return {
    title: '3. Memory per idle connection',
    tables: [
      {
        header: ['Server', 'Connections', 'RSS per connection', 'Heap per connection', 'External per connection', 'RSS total', 'Heap total', 'Connect rate', 'RSS vs bare', 'Heap vs bare'],
        rows: rows.map((r) => [
          SERVER_LABEL[r.kind] + (r.kind === 'ours' ? ' (ours)' : ''),
          fmtInt(r.connected),
          fmtBytes(r.rssPer),
          fmtBytes(r.heapPer),
          fmtBytes(r.externalPer),
          fmtBytes(r.after.rss),
          fmtBytes(r.after.heapUsed),
          `${fmtInt((r.connected / r.connectMs) * 1000)}/s`,
          fmtRatio(r.rssPer / bare.rssPer),
          fmtRatio(r.heapPer / bare.heapPer),
        ]),
      },
    ],
    targets: [
      {
        target: 'Memory per connection vs bare Socket.IO',
        goal: '≤ 1.10×',
        measured: `RSS ${fmtRatio(rssRatio)} (${fmtBytes(ours.rssPer)} vs ${fmtBytes(bare.rssPer)}), heap ${fmtRatio(heapRatio)} (${fmtBytes(ours.heapPer)} vs ${fmtBytes(bare.heapPer)})`,
        met: rssRatio <= 1.1 && heapRatio <= 1.1,
      },
    ],
    notes: [
      `${fmtInt(count)} websocket connections${count < wanted ? ` (fewer than ${fmtInt(wanted)}: the open-files limit allows no more)` : ''}, ` +
        'each with the contract\'s signed query (one of 100 rooms), opened from the load process and left idle. The server\'s ' +
        '`process.memoryUsage()` is read after three forced full collections before the first connection and after the last; ' +
        'the difference divided by the count is the cost of one connection. RSS includes the kernel-side socket buffers Node ' +
        'holds and memory V8 has not returned to the system, so it is the noisier of the two; heap is what the JavaScript objects of a ' +
        'connection take.',
      'The bare Socket.IO relay joins each socket to the rooms of its query and keeps nothing else; the raw `ws` server keeps ' +
        'one Set entry per room membership and is shown as the floor. Every connection is a user of its own (distinct `userid`).',
      ...(heapRatio > 1.1 ? [MEMORY_BREAKDOWN] : []),
    ],
  };
}
