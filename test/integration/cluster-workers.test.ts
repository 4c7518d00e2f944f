import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, adminGet } from '../helpers/cluster';
import { postForm, signedNotify } from '../helpers/notify';
import { TrackingClient } from '../helpers/tracking-client';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface LogLine {
  msg: string;
  pid?: number;
  worker?: number;
  port?: number;
}

/** The CLI in its own process; collects its JSON log lines and lets a test wait for one. */
function startCli(args: string[]) {
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      LOG_DIR: mkdtempSync(path.join(tmpdir(), 'im-workers-')),
      IM_ADMIN_KEY: ADMIN_KEY,
      REDIS_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const p of parts) {
      try {
        lines.push(JSON.parse(p) as LogLine);
      } catch {
        // not a log line
      }
    }
    waiters.forEach((w) => w());
  });
  proc.stderr!.resume();
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  function waitLog(match: (l: LogLine) => boolean, what: string, ms = 20_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for log: ${what}`)), ms);
      const check = () => {
        const hit = lines.find(match);
        if (!hit) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(hit);
      };
      waiters.add(check);
      check();
    });
  }
  return { proc, lines, waitLog, exited };
}

describe('--workers N: several processes behind one port', () => {
  let cli: ReturnType<typeof startCli> | undefined;
  const clients: TrackingClient[] = [];

  afterAll(async () => {
    clients.forEach((c) => c.close());
    if (cli && cli.proc.exitCode === null) {
      cli.proc.kill('SIGKILL');
      await cli.exited;
    }
  });

  it('shares messages, positions, history, logs and metrics between workers, replaces a dead worker and shuts down cleanly', async () => {
    cli = startCli(['--workers', '2', '--port', '0']);
    const listening = await cli.waitLog((l) => l.msg.includes('with 2 workers'), 'listening');
    const url = `http://127.0.0.1:${listening.port}`;

    // Long-polling clients need sticky sessions (each HTTP request of a session must reach the
    // worker that holds it); least-connection spreads these three over both workers.
    const transports = [['polling'], ['polling'], ['websocket']];
    for (const t of transports) {
      const client = new TrackingClient(url, { roomIds: 'w', options: { transports: t } });
      clients.push(client);
      await client.connected();
    }
    for (let i = 1; i <= 5; i++) expect((await postForm(url, signedNotify('w', String(i), 'demo', { filename: 'w.log' }))).body.code).toBe(1);
    await Promise.all(clients.map((c) => c.until(() => c.messages.length === 5, 10_000, 'five messages')));
    for (const c of clients) {
      expect(c.data()).toEqual(['1', '2', '3', '4', '5']);
      expect(c.messages.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5]);
    }
    expect(new Set(clients.flatMap((c) => c.messages.map((m) => m.epoch))).size).toBe(1);

    // /metrics on any worker answers for both.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^im_sockets 3$/m);
    expect(metrics).toMatch(/^im_messages_in_total\{source="demo"\} 5$/m);
    expect(metrics).toMatch(/^im_deliveries_total 15$/m);

    // One log folder on one machine: every worker reads the whole file.
    const date = new Date().toISOString().slice(0, 10);
    for (let i = 0; i < 2; i++) {
      const logs = await adminGet(`${url}/api/logs?source=demo&filename=w.log&date=${date}`);
      expect(logs.text.trim().split('\n')).toHaveLength(5);
    }

    // A worker dies: the primary starts another; its clients come back and catch up from the
    // history the primary keeps.
    const workerPids = [...new Set(cli.lines.filter((l) => l.worker !== undefined).map((l) => l.pid!))];
    expect(workerPids).toHaveLength(2);
    process.kill(workerPids[0]!, 'SIGKILL');
    await cli.waitLog((l) => l.msg.startsWith('worker died'), 'worker died');
    for (let i = 6; i <= 10; i++) expect((await postForm(url, signedNotify('w', String(i)))).body.code).toBe(1);
    const all = Array.from({ length: 10 }, (_, i) => String(i + 1));
    await Promise.all(clients.map((c) => c.until(() => c.messages.length === 10, 20_000, 'ten messages')));
    for (const c of clients) expect(c.data()).toEqual(all);
    expect(clients.some((c) => c.reconnects > 0)).toBe(true);

    cli.proc.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    for (const pid of workerPids) expect(() => process.kill(pid, 0)).toThrow();
  }, 120_000);
});
