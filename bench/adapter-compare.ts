/**
 * npx tsx bench/adapter-compare.ts [--quick] [--rounds N]
 *
 * Measures the two official Redis adapters against each other (and one in-memory instance as
 * the baseline), the way this service uses them: three instances in this process sharing a
 * Redis key prefix, a publisher calling relay.publish on instance A (room history write in
 * Redis + adapter broadcast), subscribers (socket.io-client, websocket) on A, B and C.
 *
 * - latency: one message at a time, publish to receipt, on another instance (B) and on the
 *   accepting one (A); p50 / p99 in ms.
 * - throughput: messages published with 200 in flight until every subscriber (one per
 *   instance: 3, or 1 for the in-memory baseline) has all of them.
 *
 * Prints a Markdown table (README "Deployment and clustering" quotes it). Needs Redis at
 * REDIS_URL (default redis://127.0.0.1:6379). Not a test: numbers depend on the machine.
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { io as connect, type Socket } from 'socket.io-client';
import type { Message } from '../packages/protocol';
import { legacyConnectSign } from '../packages/signing';
import { demoConfigInput, DEMO_SOURCES, type ServerConfigInput } from '../server/config';
import { createServer, type ImRelayServer } from '../server/create-server';
import { dropPrefix } from '../test/helpers/cluster';
import { fmtInt, fmtMs, median, summarize } from './lib/stats';

type Variant = 'memory (1 instance)' | 'redis pubsub' | 'redis streams';

interface Result {
  variant: Variant;
  remoteP50: number;
  remoteP99: number;
  localP50: number;
  localP99: number;
  throughput: number;
  /** Messages some subscriber never got (0 unless an instance fell too far behind). */
  lost: number;
}

const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, rounds: { type: 'string' } },
  strict: true,
});
const QUICK = values.quick ?? false;
const ROUNDS = Number(values.rounds ?? (QUICK ? 1 : 3));
const LATENCY_MESSAGES = QUICK ? 200 : 1000;
const THROUGHPUT_MESSAGES = QUICK ? 2000 : 20_000;
const WINDOW = 200;
const DEADLINE_MS = 60_000;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const silent = pino({ level: 'silent' });

async function startInstances(variant: Variant, prefix: string): Promise<ImRelayServer[]> {
  const count = variant === 'memory (1 instance)' ? 1 : 3;
  const adapter: ServerConfigInput['adapter'] =
    variant === 'memory (1 instance)'
      ? { type: 'memory' }
      : { type: 'redis', url: REDIS_URL, prefix, transport: variant === 'redis pubsub' ? 'pubsub' : 'streams' };
  const servers: ImRelayServer[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer({
      config: { ...demoConfigInput(), demo: false, logLevel: 'silent', adapter, history: { size: 200, maxAgeSeconds: 600 } },
      logger: silent,
    });
    await server.listen(0, '127.0.0.1');
    servers.push(server);
  }
  return servers;
}

function url(server: ImRelayServer): string {
  const addr = server.httpServer.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const q = new URLSearchParams({
    userid: '1',
    username: 'bench',
    source: 'demo',
    room_ids: 'bench',
    sign: legacyConnectSign('demo', 'bench', DEMO_SOURCES.demo.signKey),
  });
  return `http://127.0.0.1:${port}?${q}`;
}

async function subscribe(server: ImRelayServer): Promise<Socket> {
  const socket = connect(url(server), { transports: ['websocket'], forceNew: true, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

/** Publish one message at a time; the time until `socket` has it. */
async function latency(publisher: ImRelayServer, socket: Socket, n: number): Promise<Float64Array> {
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const got = new Promise<void>((resolve) => {
      const on = (m: Message<{ i: number }>) => {
        if (m.data.i !== i) return;
        socket.off('newMsg', on);
        resolve();
      };
      socket.on('newMsg', on);
    });
    const t0 = performance.now();
    await publisher.relay.publish('demo', ['bench'], { i });
    await got;
    samples[i] = performance.now() - t0;
  }
  return samples;
}

/**
 * Messages per second until every subscriber has them all, `WINDOW` publishes in flight.
 * Gives up after DEADLINE_MS and reports how many messages a subscriber never got.
 */
async function throughput(publisher: ImRelayServer, sockets: Socket[], n: number): Promise<{ rate: number; lost: number }> {
  const counts = sockets.map(() => 0);
  const done = sockets.map(
    (s, k) =>
      new Promise<void>((resolve) => {
        const on = () => {
          if (++counts[k]! < n) return;
          s.off('newMsg', on);
          resolve();
        };
        s.on('newMsg', on);
      }),
  );
  const t0 = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      await publisher.relay.publish('demo', ['bench'], { t: i });
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  let timer: NodeJS.Timeout | undefined;
  const complete = await Promise.race([
    Promise.all(done).then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), DEADLINE_MS))),
  ]);
  clearTimeout(timer);
  const lost = complete ? 0 : Math.max(...counts.map((c) => n - c));
  return { rate: complete ? n / ((performance.now() - t0) / 1000) : NaN, lost };
}

async function measure(variant: Variant): Promise<Result> {
  const prefix = `imbench:${randomUUID().slice(0, 8)}`;
  const servers = await startInstances(variant, prefix);
  const sockets = await Promise.all(servers.map(subscribe));
  try {
    const a = servers[0]!;
    const remote = sockets[1] ?? sockets[0]!;
    // Warm-up (JIT, connections, scripts loaded in Redis).
    await latency(a, remote, 50);
    const remoteLat = summarize(await latency(a, remote, LATENCY_MESSAGES));
    const localLat = summarize(await latency(a, sockets[0]!, LATENCY_MESSAGES));
    const { rate, lost } = await throughput(a, sockets, THROUGHPUT_MESSAGES);
    return { variant, remoteP50: remoteLat.p50, remoteP99: remoteLat.p99, localP50: localLat.p50, localP99: localLat.p99, throughput: rate, lost };
  } finally {
    sockets.forEach((s) => s.close());
    await Promise.all(servers.map((s) => s.close()));
    if (variant !== 'memory (1 instance)') await dropPrefix(REDIS_URL, prefix);
  }
}

const variants: Variant[] = ['memory (1 instance)', 'redis pubsub', 'redis streams'];
const rounds = new Map<Variant, Result[]>(variants.map((v) => [v, []]));
for (let r = 0; r < ROUNDS; r++) {
  // Alternate the order so neither adapter always runs on a warmer process.
  for (const v of r % 2 ? [...variants].reverse() : variants) {
    process.stderr.write(`round ${r + 1}/${ROUNDS}: ${v}…\n`);
    rounds.get(v)!.push(await measure(v));
  }
}

const med = (rs: Result[], k: keyof Omit<Result, 'variant'>) => median(rs.map((x) => x[k]));
const lines = [
  `Adapter comparison — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Redis ${REDIS_URL}; ` +
    `${LATENCY_MESSAGES} sequential messages for latency, ${fmtInt(THROUGHPUT_MESSAGES)} with ${WINDOW} in flight for throughput, median of ${ROUNDS} round(s)${QUICK ? ' (--quick)' : ''}.`,
  '',
  '| adapter | other instance p50 / p99 (ms) | same instance p50 / p99 (ms) | throughput (msg/s until every subscriber has all) | between instances after a Redis blip |',
  '|---|---|---|---|---|',
  ...variants.map((v) => {
    const rs = rounds.get(v)!;
    // Reconnecting clients catch up from room history with every adapter (connection state recovery is off).
    const recovery = v === 'redis pubsub' ? 'lost (clients refill from history)' : v === 'redis streams' ? 'read on from the stream' : '–';
    const remote = v === 'memory (1 instance)' ? '–' : `${fmtMs(med(rs, 'remoteP50'))} / ${fmtMs(med(rs, 'remoteP99'))}`;
    const lost = Math.max(...rs.map((x) => x.lost));
    const rate = lost ? `lost ${fmtInt(lost)} in a round` : fmtInt(med(rs, 'throughput'));
    return `| ${v} | ${remote} | ${fmtMs(med(rs, 'localP50'))} / ${fmtMs(med(rs, 'localP99'))} | ${rate} | ${recovery} |`;
  }),
];
process.stdout.write(lines.join('\n') + '\n');
process.exit(0);
