import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from '../../server/create-server';
import { demoConfigInput, type ServerConfigInput } from '../../server/config';
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
const config: ServerConfigInput = {
  ...demo,
  demo: false,
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

const server = createServer({ config });
// listen() waits for the cluster set-up (Redis) to be ready.
const port = await server.listen(0, '127.0.0.1');

serveCommands(
  {
    mem: () => settledMemory(),
    cpu: () => process.cpuUsage(),
    stats: () => ({ connections: server.io.engine.clientsCount }),
  },
  { port, pid: process.pid },
  async () => {
    await server.close();
    rmSync(logDir, { recursive: true, force: true });
  },
);
