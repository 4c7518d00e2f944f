import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, adminGet } from '../helpers/cluster';
import { postForm, signedNotify } from '../helpers/notify';
import { startCli, type RunningCli } from '../helpers/run-cli';
import { TrackingClient } from '../helpers/tracking-client';

describe('--workers N: several processes behind one port', () => {
  let cli: RunningCli | undefined;
  const clients: TrackingClient[] = [];

  afterAll(async () => {
    clients.forEach((c) => c.close());
    await cli?.stop('SIGKILL');
  });

  it('shares messages, positions, history, logs and metrics between workers, replaces a dead worker and shuts down cleanly', async () => {
    cli = startCli(['--workers', '2', '--port', '0'], { IM_ADMIN_KEY: ADMIN_KEY });
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

    expect(await cli.stop()).toBe(0);
    for (const pid of workerPids) expect(() => process.kill(pid, 0)).toThrow();
  }, 120_000);
});
