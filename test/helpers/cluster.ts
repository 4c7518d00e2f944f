import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ServerConfigInput } from '../../server/config';
import { startServer, type TestServer } from './start-server';

export const ADMIN_KEY = 'cluster-test-admin-key-0123456789';

/** A key prefix no other test uses, so parallel tests never see each other's messages. */
export function uniquePrefix(): string {
  return `imtest:${randomUUID().slice(0, 8)}`;
}

/** Redis adapter settings for tests (fast start-up failure, given transport). */
export function redisAdapter(url: string, prefix: string, extra: Record<string, unknown> = {}): ServerConfigInput['adapter'] {
  return { type: 'redis', url, prefix, transport: 'streams', startupTimeoutMs: 5000, ...extra } as ServerConfigInput['adapter'];
}

/** Starts `n` in-process servers sharing one Redis prefix. */
export async function startCluster(n: number, config: Partial<ServerConfigInput>): Promise<TestServer[]> {
  const servers: TestServer[] = [];
  try {
    for (let i = 0; i < n; i++) servers.push(await startServer({ adminKey: ADMIN_KEY, ...config }));
  } catch (err) {
    await Promise.allSettled(servers.map((s) => s.close()));
    throw err;
  }
  return servers;
}

/** Deletes every key under `prefix` (tests share the Redis on 6379). */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } catch {
    // A test that stopped Redis on purpose has nothing left to clean.
  } finally {
    redis.disconnect();
  }
}

/** GET with the admin key; returns status and text. */
export async function adminGet(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  return { status: res.status, text: await res.text() };
}
