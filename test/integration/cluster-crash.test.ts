import { describe, expect, it, onTestFinished } from 'vitest';
import { postForm, signedNotify } from '../helpers/notify';
import { requireRedis } from '../helpers/requirements';
import { spawnRedisCluster, type ServerProcess } from '../helpers/spawn-server';
import { startBalancer } from '../helpers/tcp-balancer';
import { TrackingClient } from '../helpers/tracking-client';

const hasRedis = await requireRedis();
const TOTAL = 1000;

describe.skipIf(!hasRedis)('an instance crashes (kill -9) while messages flow', () => {
  it(`its subscribers reconnect to the others and end with all ${TOTAL} messages, in order, once`, async () => {
    // The history must reach back over the reconnection gap; 1000 is more than enough.
    const { servers, stop } = await spawnRedisCluster(3, TOTAL);
    onTestFinished(stop);
    const [a, , c] = servers as [ServerProcess, ServerProcess, ServerProcess];
    const balancer = await startBalancer(servers.map((s) => s.port));
    onTestFinished(() => balancer.close());
    const clients: TrackingClient[] = [];
    onTestFinished(() => clients.forEach((cl) => cl.close()));

    // Six subscribers, round-robin: two on each instance.
    for (let i = 0; i < 6; i++) {
      const client = new TrackingClient(balancer.url, { roomIds: 'stream', username: `sub${i}` });
      clients.push(client);
      await client.connected();
    }
    const onC = clients.filter((_, i) => balancer.routed[i] === c.port);
    expect(onC).toHaveLength(2);

    // The publisher talks to an instance that survives; it sends one message at a time.
    const publishing = (async () => {
      for (let i = 1; i <= TOTAL; i++) {
        const res = await postForm(a.url, signedNotify('stream', String(i)));
        if (res.body.code !== 1) throw new Error(`notify ${i} failed: ${res.body.msg}`);
      }
    })();

    await onC[0]!.until(() => onC[0]!.messages.length >= 300, 20_000, '300 messages on the doomed instance');
    await c.crash();
    await publishing;

    const all = Array.from({ length: TOTAL }, (_, i) => String(i + 1));
    await Promise.all(clients.map((cl) => cl.until(() => cl.messages.length >= TOTAL, 30_000, `${TOTAL} messages`)));
    for (const client of clients) {
      expect(client.data()).toEqual(all);
      expect(client.messages.map((m) => m.offset)).toEqual(all.map(Number));
      expect(new Set(client.messages.map((m) => m.epoch)).size).toBe(1);
    }
    for (const client of onC) {
      // They lost their instance, came back through another one and filled the gap from history.
      expect(client.reconnects).toBe(1);
      expect(client.recovered).toBe(0);
      expect(client.historyCalls).toBeGreaterThan(0);
      expect(client.truncated).toBe(0);
    }
    expect(balancer.routed.slice(6)).not.toContain(c.port);
  });
});
