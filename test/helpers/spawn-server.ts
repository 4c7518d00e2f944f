import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerConfigInput } from '../../server/config';
import { dropPrefix, redisAdapter, uniquePrefix } from './cluster';
import { REDIS_URL } from './requirements';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');

export interface ServerProcess {
  proc: ChildProcess;
  port: number;
  url: string;
  /** kill -9: no shutdown, no session saved, sockets cut by the OS. */
  crash(): Promise<void>;
  /** SIGTERM: graceful shutdown. */
  stop(): Promise<void>;
}

/** Runs test/helpers/server-process.ts under tsx in a child process and waits for its port. */
export async function spawnServer(config: Partial<ServerConfigInput>): Promise<ServerProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'server-process.ts')], {
    cwd: ROOT,
    env: { ...process.env, IM_TEST_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        proc.stdout!.off('data', onData);
        proc.stdout!.resume();
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`server process exited (${code}) before listening:\n${stderr}`)));
  });
  const exited = () =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    port,
    url: `http://127.0.0.1:${port}`,
    async crash() {
      const done = exited();
      proc.kill('SIGKILL');
      await done;
    },
    async stop() {
      const done = exited();
      proc.kill('SIGTERM');
      await done;
    },
  };
}

export interface SpawnedCluster {
  servers: ServerProcess[];
  /** Stops every server still running and drops the cluster's Redis keys. */
  stop(): Promise<void>;
}

/**
 * `n` relay processes on the Redis at REDIS_URL, sharing a key prefix no other test uses, each
 * keeping the last `historySize` messages of a room for an hour (enough to catch up over a crash).
 */
export async function spawnRedisCluster(n: number, historySize: number): Promise<SpawnedCluster> {
  const prefix = uniquePrefix();
  const config = { adapter: redisAdapter(REDIS_URL, prefix), history: { size: historySize, maxAgeSeconds: 3600 } };
  const started = await Promise.allSettled(Array.from({ length: n }, () => spawnServer(config)));
  const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await dropPrefix(REDIS_URL, prefix);
  };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { servers, stop };
}
