import { describe, expect, it, onTestFinished } from 'vitest';
import type { Message } from '../../packages/protocol';
import { createClient, type ImClient } from '../../packages/client';
import { signedConnectUrl } from '../../packages/client/node';
import { DEMO_SOURCES } from '../../server/config';
import { renderReadmeNginx, requireNginx, startNginx } from '../helpers/nginx';
import { postForm, signedNotify } from '../helpers/notify';
import { freePort } from '../helpers/redis-server';
import { requireRedis } from '../helpers/requirements';
import { spawnRedisCluster } from '../helpers/spawn-server';
import { until } from '../helpers/wait-for';

const hasRedis = await requireRedis();
const hasNginx = requireNginx();
const TOTAL = 200;

/**
 * The README's deployment, for real: its nginx configuration (only addresses, ports and TLS
 * lines changed) in front of two instances on Redis. All clients come from 127.0.0.1, so the
 * `hash $remote_addr` stickiness puts them all on one instance: that one is killed.
 */
describe.skipIf(!hasRedis || !hasNginx)('behind the README nginx configuration, two instances on Redis', () => {
  it('clients on polling and on websocket survive kill -9 of their instance with every message, in order, once', async () => {
    const { servers, stop } = await spawnRedisCluster(2, 1000);
    onTestFinished(stop);
    const listen = await freePort();
    const nginx = await startNginx(renderReadmeNginx(servers.map((s) => s.port), listen), listen);
    onTestFinished(() => nginx.stop());
    const clients: ImClient[] = [];
    onTestFinished(() => clients.forEach((c) => c.close()));

    // Which instance does nginx's hash pick for 127.0.0.1? /healthz names it.
    const instanceOf = async (base: string) => ((await (await fetch(`${base}/healthz`)).json()) as { instance: string }).instance;
    const viaNginx = await instanceOf(nginx.url);
    const ids = await Promise.all(servers.map((s) => instanceOf(s.url)));
    const doomed = servers[ids.indexOf(viaNginx)]!;
    const survivor = servers.find((s) => s !== doomed)!;
    expect(doomed).toBeDefined();

    const received: Message[][] = [];
    const connects: number[] = [];
    for (const transport of ['polling', 'websocket', 'polling', 'websocket'] as const) {
      const i = received.length;
      received.push([]);
      connects.push(0);
      const url = signedConnectUrl({
        url: nginx.url,
        source: 'demo',
        signKey: DEMO_SOURCES.demo.signKey,
        rooms: 'deploy',
        userid: String(100 + i),
        username: `u${i}`,
      });
      clients.push(
        createClient(url, {
          reconnectionDelay: 50,
          reconnectionDelayMax: 200,
          maxReconnectAttempts: Infinity,
          socketOptions: { transports: [transport] },
          onMessage: (m) => received[i]!.push(m),
          onConnect: () => connects[i]!++,
        }),
      );
    }
    await until(() => clients.every((c) => c.state === 'connected'), 15_000, 'every client connected through nginx');
    const polling = clients[0]!.socket.io.engine.transport.name;
    expect(polling).toBe('polling');
    expect(clients[1]!.socket.io.engine.transport.name).toBe('websocket');

    const send = async (from: number, to: number) => {
      for (let n = from; n <= to; n++) {
        const res = await postForm(survivor.url, signedNotify('deploy', String(n)));
        if (res.body.code !== 1) throw new Error(`notify ${n}: ${res.body.msg}`);
      }
    };
    await send(1, TOTAL / 2);
    await until(() => received.every((r) => r.length >= TOTAL / 2), 20_000, 'the first half on every client');

    await doomed.crash();
    // Sent while the clients are still finding their way back: they get it from history.
    await send(TOTAL / 2 + 1, TOTAL);

    await until(() => received.every((r) => r.length >= TOTAL), 30_000, `${TOTAL} messages on every client`);
    const expected = Array.from({ length: TOTAL }, (_, n) => String(n + 1));
    for (let i = 0; i < clients.length; i++) {
      expect(received[i]!.map((m) => m.data)).toEqual(expected);
      expect(connects[i]).toBe(2);
      expect(clients[i]!.state).toBe('connected');
    }
    // Every client is now served by the survivor, through nginx.
    expect(await instanceOf(nginx.url)).toBe(ids[servers.indexOf(survivor)]);
  }, 90_000);
});
