import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from '../../server/create-server';
import { demoConfigInput, type ServerConfigInput } from '../../server/config';
import type { EngineOptions } from '../../server/engine';
import { serveCommands, settledMemory } from '../lib/ipc';

/**
 * Our relay, in its own process so that the load generator's CPU never counts against it.
 * BENCH_REDIS_URL + BENCH_REDIS_PREFIX select the Redis adapter (the cross-instance runs).
 */
const logDir = mkdtempSync(path.join(tmpdir(), 'im-bench-logs-'));
const redisUrl = process.env.BENCH_REDIS_URL;
const demo = demoConfigInput();
// The browser part lifts the hook's per-connection rate so a measured burst is never throttled.
const hookRate = Number(process.env.BENCH_HOOK_RATE) || undefined;
if (hookRate && demo.sources.remote_debug) demo.sources.remote_debug.hook = { rooms: ['console-log'], maxEntriesPerSecond: hookRate };
// Every client of a benchmark comes from 127.0.0.1: the per-address connection caps (on by
// default) are lifted unless the part measures with them (BENCH_DEFAULT_CAPS=1, the abuse part).
const caps = process.env.BENCH_DEFAULT_CAPS === '1' ? {} : { maxConnectionsPerIp: 0, maxHookConnectionsPerIp: 0, maxHookConnectionsPerSource: 0 };
// BENCH_CONFIG: JSON merged over the config's top level (the abuse part's well-behaved twins).
const extra = process.env.BENCH_CONFIG ? (JSON.parse(process.env.BENCH_CONFIG) as ServerConfigInput) : {};
const config: ServerConfigInput = {
  ...demo,
  demo: false,
  limits: caps,
  ...extra,
  logLevel: 'silent',
  host: '127.0.0.1',
  port: 0,
  logDir,
  ...(redisUrl
    ? {
        adapter: {
          type: 'redis',
          url: redisUrl,
          prefix: process.env.BENCH_REDIS_PREFIX ?? 'im-bench',
          ...(process.env.BENCH_REDIS_TRANSPORT === 'pubsub' ? { transport: 'pubsub' } : {}),
        },
      }
    : {}),
};

// BENCH_ENGINE: one use of the engine's private members switched off (bench/parts: fan-out, memory).
const engine = process.env.BENCH_ENGINE ? (JSON.parse(process.env.BENCH_ENGINE) as EngineOptions) : undefined;
const server = createServer({ config, engine });
// listen() waits for the cluster set-up (Redis) to be ready.
const port = await server.listen(0, '127.0.0.1');

// Peak memory over a window (the abuse part): sampled every 20 ms, so a burst that is freed
// again before the next settled reading still shows.
let peak = { rss: 0, heapUsed: 0 };
let sampler: NodeJS.Timeout | undefined;
const sample = () => {
  const m = process.memoryUsage();
  peak = { rss: Math.max(peak.rss, m.rss), heapUsed: Math.max(peak.heapUsed, m.heapUsed) };
};

serveCommands(
  {
    mem: () => settledMemory(),
    peakStart: () => {
      peak = { rss: 0, heapUsed: 0 };
      sample();
      clearInterval(sampler);
      sampler = setInterval(sample, 20);
    },
    peakStop: () => {
      clearInterval(sampler);
      sample();
      return peak;
    },
    metrics: () => server.metrics.registry.metrics(),
    cpu: () => process.cpuUsage(),
    stats: () => ({ connections: server.io.engine.clientsCount }),
  },
  { port, pid: process.pid },
  async () => {
    await server.close();
    rmSync(logDir, { recursive: true, force: true });
  },
);
