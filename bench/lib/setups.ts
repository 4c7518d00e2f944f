import { randomUUID } from 'node:crypto';
import type { LatencyResult } from '../load/load-generator';
import type { EngineOptions } from '../../server/engine';
import { startLoadGenerator, startServer, type PartContext, type ServerChild, type ServerKind } from './part';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** One server, or two instances of it sharing Redis. */
export interface Setup {
  kind: ServerKind;
  /** Two instances on Redis: publish on the first, subscribers on the second. */
  cluster: boolean;
  /** Ours with `adapter.transport: "pubsub"` instead of the default streams. */
  pubsub?: boolean;
  /** Ours with one use of the engine's private members switched off (CreateServerOptions.engine). */
  engine?: EngineOptions;
}

export interface RunningSetup {
  /** Where pushes go. */
  publish: ServerChild;
  /** Where subscribers connect (the other instance in a cluster). */
  subscribe: ServerChild;
  /** Every server process of the setup. */
  servers: ServerChild[];
  stop(): Promise<void>;
}

export async function startSetup(setup: Setup): Promise<RunningSetup> {
  if (!setup.cluster) {
    const s = await startServer(setup.kind, { engine: setup.engine });
    return { publish: s, subscribe: s, servers: [s], stop: () => s.stop() };
  }
  // A prefix of our own, so the run never meets another run's (or a test's) keys and channels.
  const redis = { url: REDIS_URL, prefix: `bench-${randomUUID().slice(0, 8)}`, ...(setup.pubsub ? { transport: 'pubsub' as const } : {}) };
  const a = await startServer(setup.kind, { redis });
  let b: ServerChild;
  try {
    b = await startServer(setup.kind, { redis });
  } catch (err) {
    await a.stop();
    throw err;
  }
  return { publish: a, subscribe: b, servers: [a, b], stop: async () => void (await Promise.all([a.stop(), b.stop()])) };
}

/**
 * Does a push on one of our instances reach a subscriber of the other? Answers the reason when
 * it does not (Redis not answering, say), undefined when it does.
 */
export async function clusterProblem(ctx: PartContext): Promise<string | undefined> {
  const room = 'cluster-check';
  let pair: RunningSetup | undefined;
  const load = await startLoadGenerator();
  try {
    pair = await startSetup({ kind: 'ours', cluster: true });
    const c = await load.call<{ connected: number; firstError?: string }>('connect', { base: pair.subscribe.base, count: 1, rooms: [room] });
    if (c.connected !== 1) return `redis adapter: a client could not connect (${c.firstError})`;
    const r = await load.call<LatencyResult>('latency', { base: pair.publish.base, room, rate: 20, warmupMs: 0, durationMs: 250, payloadBytes: 64, drainMs: 2000 }, 20_000);
    if (r.httpErrors) return `redis adapter: ${r.httpErrors} of ${r.messages} pushes refused`;
    if (r.received < r.expected) return `redis adapter: ${r.received} of ${r.expected} pushes reached a subscriber of the other instance`;
    return undefined;
  } catch (err) {
    ctx.log(`cluster check: ${(err as Error).message.split('\n')[0]}`);
    return `redis adapter (${(err as Error).message.split('\n')[0]})`;
  } finally {
    await pair?.stop();
    await load.stop();
  }
}
