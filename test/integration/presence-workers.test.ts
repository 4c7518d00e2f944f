import cluster, { type Worker } from 'node:cluster';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PresenceConnection } from '../../packages/protocol';
import { parseConfig, demoConfigInput } from '../../server/config';
import { PROJECT_ROOT } from '../../server/create-server';
import { servePresenceToWorkers } from '../../server/presence/ipc-presence-store';
import type { TickResult } from '../../server/presence/presence-store';
import { until } from '../helpers/wait-for';

// `--workers N` without Redis: the workers' presence meets in the primary (this test process).
let stop: () => void;
const workers: Worker[] = [];
let next = 1;

beforeAll(() => {
  stop = servePresenceToWorkers(parseConfig(demoConfigInput()));
  cluster.setupPrimary({
    exec: path.join(PROJECT_ROOT, 'test/helpers/presence-ipc-worker.ts'),
    execArgv: ['--import', 'tsx'],
    silent: false,
  });
});
afterAll(() => {
  for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
  stop();
});

async function fork(): Promise<Worker> {
  const w = cluster.fork();
  workers.push(w);
  await new Promise<void>((resolve, reject) => {
    w.on('message', (m: { ready?: boolean }) => m?.ready && resolve());
    w.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
  return w;
}

function run<T>(w: Worker, op: string, ...args: unknown[]): Promise<T> {
  const id = next++;
  return new Promise((resolve, reject) => {
    const on = (m: { test?: number; result?: T; error?: string }) => {
      if (m?.test !== id) return;
      w.off('message', on);
      if (m.error) reject(new Error(m.error));
      else resolve(m.result as T);
    };
    w.on('message', on);
    w.send({ test: id, op, args });
  });
}

const conn = (sid: string, userid: string, instance: string): PresenceConnection => ({
  sid,
  instance,
  source: 'demo',
  userid,
  username: `name-${userid}`,
  ext_info: '',
  rooms: ['lobby'],
  since: Date.now(),
});

describe('presence across --workers processes without Redis', () => {
  it('counts one user across workers, and drops a killed worker\'s connections at once', async () => {
    const [w1, w2] = [await fork(), await fork()];
    const i1 = `worker-${w1.process.pid}`;
    const i2 = `worker-${w2.process.pid}`;
    expect(await run(w1, 'add', conn('s1', 'amy', i1))).toEqual({ connections: 1, joined: true });
    expect(await run(w2, 'add', conn('s2', 'amy', i2))).toEqual({ connections: 2, joined: false });
    expect(await run(w2, 'add', conn('s3', 'ben', i2))).toEqual({ connections: 1, joined: true });
    expect(await run(w1, 'userConnections', 'demo', 'amy')).toBe(2);

    w2.process.kill('SIGKILL');
    await until(async () => (await run<number>(w1, 'userConnections', 'demo', 'ben')) === 0, 5000, 'ben gone with w2');
    expect(await run(w1, 'userConnections', 'demo', 'amy')).toBe(1);
    const tick = await run<TickResult>(w1, 'tick', ['demo']);
    expect(tick.leaves).toEqual([{ source: 'demo', userid: 'ben', username: 'name-ben' }]);
    expect(tick.deadInstances).toEqual([{ source: 'demo', instance: i2 }]);
    expect((await run<PresenceConnection[]>(w1, 'connections', 'demo')).map((c) => c.sid)).toEqual(['s1']);
  });
});
