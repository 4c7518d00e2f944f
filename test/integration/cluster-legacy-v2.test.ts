import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { dropPrefix, redisAdapter, startCluster, uniquePrefix } from '../helpers/cluster';
import { connectClient } from '../helpers/connect-client';
import { postForm, signedNotify } from '../helpers/notify';
import { REDIS_URL, requireRedis } from '../helpers/requirements';
import { startCli } from '../helpers/run-cli';
import type { TestServer } from '../helpers/start-server';
import { connectV2, openV2, type V2Client } from '../helpers/v2-client';

/** Socket.IO 2 clients (the original's deployed scripts) across instances and worker processes. */

const hasRedis = await requireRedis();

describe.skipIf(!hasRedis).each([['polling'], ['websocket']])('Socket.IO 2 clients on two instances on Redis (%s)', (transport) => {
  let servers: TestServer[] = [];
  const clients: Array<{ close(): void }> = [];
  let prefix = '';

  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
    await dropPrefix(REDIS_URL, prefix);
  });

  it('a v2 page on instance B gets a notify sent to instance A, and v2 chat crosses instances', async () => {
    prefix = uniquePrefix();
    servers = await startCluster(2, { adapter: redisAdapter(REDIS_URL, prefix) });
    const [a, b] = servers as [TestServer, TestServer];
    const onB = await connectV2(b.url, { roomIds: 'shop', userid: 'b', transports: [transport] });
    const onA = await connectV2(a.url, { roomIds: 'shop', userid: 'a', transports: [transport] });
    const v4OnB = await connectClient(b.url, { roomIds: 'shop', userid: 'v4' });
    clients.push(onB, onA, v4OnB);

    expect((await postForm(a.url, signedNotify('shop', 'order 1'))).body.code).toBe(1);
    await onB.until(() => onB.messages.length === 1, 'the notify on B');
    expect(onB.messages[0]).toMatchObject({ source: 'demo', room_id: 'shop', data: 'order 1' });

    const v4Got = new Promise((resolve) => v4OnB.on('newMsg', (m) => m.data === 'from A' && resolve(m)));
    onA.socket.emit('postMsg', 'from A', 'shop');
    await onB.until(() => onB.messages.some((m) => m.data === 'from A'), 'A\'s post on B');
    await v4Got;

    // A refused v2 page on B: sys_error, and B's members alone get what follows.
    const refused = openV2(b.url, { roomIds: 'shop', sign: 'bad', transports: [transport] });
    clients.push(refused);
    await refused.until(() => refused.events.some((e) => e[0] === 'disconnect'), 'the disconnect');
    expect(refused.events.filter((e) => e[0] === 'sys_error').map((e) => e[1])).toEqual(['sign verify failed!']);
    expect((await postForm(a.url, signedNotify('shop', 'order 2'))).body.code).toBe(1);
    await onB.until(() => onB.messages.some((m) => m.data === 'order 2'), 'the second notify on B');
    expect(refused.messages).toEqual([]);
  });
});

describe('Socket.IO 2 clients with --workers 2', () => {
  it('long-polling sessions stay on their worker (sticky), and messages reach every worker', async () => {
    const cli = startCli(['--workers', '2', '--port', '0']);
    onTestFinished(async () => {
      await cli.stop();
    });
    const clients: V2Client[] = [];
    onTestFinished(() => clients.forEach((c) => c.close()));
    const url = `http://127.0.0.1:${await cli.listening}`;
    // Least-connection spreads these over both workers; a poll that reached the wrong worker
    // would end the session ("Session ID unknown").
    const transports = [['polling'], ['polling'], ['polling'], ['websocket']];
    for (const [i, t] of transports.entries()) clients.push(await connectV2(url, { roomIds: 'w', userid: `u${i}`, transports: t }));

    for (let i = 1; i <= 3; i++) expect((await postForm(url, signedNotify('w', String(i)))).body.code).toBe(1);
    clients[0]!.socket.emit('postMsg', 'from a v2 page', 'w');
    for (const c of clients) await c.until(() => c.messages.length === 4, 'four messages', 20_000);
    for (const c of clients) {
      expect(c.messages.map((m) => m.data).sort()).toEqual(['1', '2', '3', 'from a v2 page']);
      expect(c.events.filter((e) => e[0] === 'disconnect' || e[0] === 'error')).toEqual([]);
    }
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^im_legacy_clients 4$/m);

    // A refused v2 page through the primary gets its sys_error too.
    const refused = openV2(url, { roomIds: 'w', sign: 'bad', transports: ['polling'] });
    clients.push(refused);
    await refused.until(() => refused.events.some((e) => e[0] === 'disconnect'), 'the disconnect', 20_000);
    expect(refused.events.filter((e) => e[0] === 'sys_error').map((e) => e[1])).toEqual(['sign verify failed!']);

    expect(await cli.stop()).toBe(0);
  }, 90_000);
});
