import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineOptions } from '../../server/engine';
import { forkChild, type BenchChild } from './ipc';
import type { Table, TargetCheck } from './report';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PROJECT_ROOT = path.resolve(BENCH_DIR, '..');

export interface PartContext {
  /** Small counts for trial runs. */
  quick: boolean;
  log(message: string): void;
}

export interface PartOutput {
  title: string;
  pending?: string;
  tables: Table[];
  targets: TargetCheck[];
  notes: string[];
}

export type ServerKind = 'ours' | 'bare' | 'raw';

export const SERVER_LABEL: Record<ServerKind, string> = {
  ours: 'node-socket-im',
  bare: 'bare Socket.IO relay',
  raw: 'raw ws broadcast',
};

const SERVER_SCRIPT: Record<ServerKind, string> = {
  ours: 'servers/ours.ts',
  bare: 'servers/bare-socketio.ts',
  raw: 'servers/raw-ws.ts',
};

export interface ServerInfo {
  port: number;
  pid: number;
}

export type ServerChild = BenchChild<ServerInfo> & { base: string; kind: ServerKind };

export interface CpuUsage {
  user: number;
  system: number;
}

/** Starts a server under test in a process of its own. */
export async function startServer(
  kind: ServerKind,
  opts: { redis?: { url: string; prefix: string; transport?: 'pubsub' }; env?: NodeJS.ProcessEnv; engine?: EngineOptions } = {},
): Promise<ServerChild> {
  const env: NodeJS.ProcessEnv = { ...opts.env };
  if (opts.engine) env.BENCH_ENGINE = JSON.stringify(opts.engine);
  if (opts.redis) {
    env.BENCH_REDIS_URL = opts.redis.url;
    env.BENCH_REDIS_PREFIX = opts.redis.prefix;
    if (opts.redis.transport) env.BENCH_REDIS_TRANSPORT = opts.redis.transport;
  }
  const child = await forkChild<ServerInfo>(path.join(BENCH_DIR, SERVER_SCRIPT[kind]), {
    env,
    nodeFlags: ['--expose-gc'],
  });
  return Object.assign(child, { base: `http://127.0.0.1:${child.info.port}`, kind });
}

export function startLoadGenerator(): Promise<BenchChild<{ pid: number }>> {
  return forkChild(path.join(BENCH_DIR, 'load/load-generator.ts'), { nodeFlags: ['--expose-gc'] });
}

/** Server CPU time (user + system) in microseconds. */
export async function cpuOf(server: ServerChild): Promise<number> {
  const c = await server.call<CpuUsage>('cpu');
  return c.user + c.system;
}

/**
 * With BENCH_PROFILE=DIR, runs `measure` under the V8 profiler of the server and writes
 * DIR/<label>.cpuprofile (read it with bench/profile-summary.ts); otherwise just runs it.
 */
export async function profiled<T>(server: ServerChild, label: string, measure: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_PROFILE;
  if (!dir) return measure();
  await server.call('profileStart');
  try {
    return await measure();
  } finally {
    await server.call('profileStop', path.resolve(dir, `${label}.cpuprofile`));
  }
}
