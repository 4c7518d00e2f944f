import { readFileSync } from 'node:fs';
import type { ConnectResult } from '../load/load-generator';
import type { EngineOptions } from '../../server/engine';
import { SERVER_LABEL, startLoadGenerator, startServer, type PartContext, type PartOutput, type ServerKind } from '../lib/part';
import { fmtBytes, fmtInt, fmtRatio } from '../lib/stats';

interface Variant {
  key: string;
  kind: ServerKind;
  /** Ours with one use of the engine's private members switched off: what that use saves per connection. */
  engine?: EngineOptions;
  label: string;
}

const VARIANTS: Variant[] = [
  { key: 'ours', kind: 'ours', label: `${SERVER_LABEL.ours} (ours)` },
  { key: 'bare', kind: 'bare', label: SERVER_LABEL.bare },
  { key: 'raw', kind: 'raw', label: SERVER_LABEL.raw },
  { key: 'ours-use', kind: 'ours', engine: { replaceDispatch: false }, label: `${SERVER_LABEL.ours} (ours), packet guard as socket.use` },
  { key: 'ours-onany', kind: 'ours', engine: { replaceNotify: false }, label: `${SERVER_LABEL.ours} (ours), deliveries counted by onAnyOutgoing` },
];

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

interface Row {
  variant: Variant;
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
/** How idle connections were made cheap; always printed, so a reader knows what is kept per connection. */
const MEMORY_NOTES =
  'What an idle connection costs ours beyond the bare relay, and how it was brought down (measured 2026-11-26 at 10,000 ' +
  'connections with a scratch copy of `server/create-server.ts` that skipped one per-connection step at a time): nothing ' +
  'per connection is a closure any more. The socket handlers (`postMsg`, `postLogs`, `history`) are one set per server, ' +
  'reading the socket from `this`, and are added to a socket on its first event of that kind (`server/socket/layer.ts`, `define`), ' +
  'so an idle socket\'s EventEmitter holds only presence\'s `disconnect` listener; the rate-limit guard is one function per ' +
  'server installed as the socket\'s `dispatch`, its promise chain and token buckets made on the first event; ' +
  '`im_deliveries_total` counts through one shared function instead of an `onAnyOutgoing` listener per socket; the presence ' +
  'record is built from `socket.data` and kept once, by the store; shutdown reads the open connections from Node and ' +
  'Engine.IO when it happens instead of tracking each one. What remains is data the features need: presence (the store\'s ' +
  'record, the "seen today" entry, per-user and per-room entries) ≈ 0.4 KB and `socket.data` ≈ 50 B. Before this work ' +
  'the same measurement gave heap 1.37× and RSS 1.26× the bare relay.';

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
    for (const variant of VARIANTS) {
      const { kind } = variant;
      const server = await startServer(kind, { engine: variant.engine });
      try {
        const before = await server.call<Memory>('mem');
        const c = await load.call<ConnectResult>('connect', { base: server.base, count, rooms, concurrency: 100, timeoutMs: 90_000 }, 100_000);
        if (c.connected !== count) throw new Error(`${kind}: ${c.connected}/${count} connected (${c.firstError})`);
        // Let the last handshakes' garbage and socket buffers settle before measuring.
        await new Promise((r) => setTimeout(r, 500));
        const after = await server.call<Memory>('mem');
        const per = (k: keyof Memory) => (after[k] - before[k]) / c.connected;
        rows.push({ variant, connected: c.connected, connectMs: c.ms, rssPer: per('rss'), heapPer: per('heapUsed'), externalPer: per('external'), before, after });
        ctx.log(`${variant.key}: ${c.connected} connections in ${(c.ms / 1000).toFixed(1)} s, ${fmtBytes(per('rss'))} RSS and ${fmtBytes(per('heapUsed'))} heap each`);
        await load.call('disconnect');
      } finally {
        await server.stop();
      }
    }
  } finally {
    await load.stop();
  }

  const row = (key: string) => rows.find((r) => r.variant.key === key)!;
  const bare = row('bare');
  const ours = row('ours');
  const saved = (key: string) => `${fmtBytes(row(key).heapPer - ours.heapPer)} heap, ${fmtBytes(row(key).rssPer - ours.rssPer)} RSS`;
  const rssRatio = ours.rssPer / bare.rssPer;
  const heapRatio = ours.heapPer / bare.heapPer;
  return {
    title: '3. Memory per idle connection',
    tables: [
      {
        header: ['Server', 'Connections', 'RSS per connection', 'Heap per connection', 'External per connection', 'RSS total', 'Heap total', 'Connect rate', 'RSS vs bare', 'Heap vs bare'],
        rows: rows.map((r) => [
          r.variant.label,
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
      'Every client connects from 127.0.0.1, so our server runs with the per-address connection caps lifted ' +
        '(`limits.maxConnectionsPerIp`, `maxHookConnectionsPerIp`, `maxHookConnectionsPerSource` = 0; bench/servers/ours.ts).',
      `${fmtInt(count)} websocket connections${count < wanted ? ` (fewer than ${fmtInt(wanted)}: the open-files limit allows no more)` : ''}, ` +
        'each with the contract\'s signed query (one of 100 rooms), opened from the load process and left idle. The server\'s ' +
        '`process.memoryUsage()` is read after three forced full collections before the first connection and after the last; ' +
        'the difference divided by the count is the cost of one connection. RSS includes the kernel-side socket buffers Node ' +
        'holds and memory V8 has not returned to the system, so it is the noisier of the two; heap is what the JavaScript objects of a ' +
        'connection take.',
      'The bare Socket.IO relay joins each socket to the rooms of its query and keeps nothing else; the raw `ws` server keeps ' +
        'one Set entry per room membership and is shown as the floor. Every connection is a user of its own (distinct `userid`).',
      MEMORY_NOTES,
      'What the two private members replaced per socket save, measured here (ours with one switched off, ' +
        '`CreateServerOptions.engine`): the packet guard as each socket\'s own `dispatch` instead of a `socket.use` middleware ' +
        `saves ${saved('ours-use')} per connection; counting deliveries through \`notifyOutgoingListeners\` instead of an ` +
        `\`onAnyOutgoing\` listener saves ${saved('ours-onany')}. Their price: socket.io \`Socket#dispatch\` and ` +
        '`Socket#notifyOutgoingListeners`, private, checked at start-up by server/engine/check.ts and pinned by package.json. ' +
        `Kept: together they are ${fmtBytes(row('ours-use').heapPer + row('ours-onany').heapPer - 2 * ours.heapPer)} of heap per connection, ` +
        `about ${Math.round(((row('ours-use').heapPer + row('ours-onany').heapPer - 2 * ours.heapPer) / ours.heapPer) * 100)} % of what one costs; ` +
        `without both, heap per connection would be about ${fmtRatio((row('ours-use').heapPer + row('ours-onany').heapPer - ours.heapPer) / bare.heapPer)} the bare relay's, ` +
        'against the 1.10× target; each costs one method name and arity checked at start-up.',
    ],
  };
}
