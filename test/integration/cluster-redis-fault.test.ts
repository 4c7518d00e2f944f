import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, dropPrefix, redisAdapter, uniquePrefix } from '../helpers/cluster';
import { postForm, signedNotify } from '../helpers/notify';
import { hasRedisServerBinary, IN_CI } from '../helpers/requirements';
import { freePort, startPrivateRedis, type PrivateRedis } from '../helpers/redis-server';
import { startServer, type TestServer } from '../helpers/start-server';
import { TrackingClient } from '../helpers/tracking-client';

const hasBinary = hasRedisServerBinary();
if (!hasBinary && IN_CI) throw new Error('redis-server is not installed (apt-get install -y redis-server)');
if (!hasBinary) process.stderr.write('\n!! SKIPPED: redis-server binary not found; the Redis fault tests need it\n\n');

interface Readyz {
  status: string;
  checks: Record<string, { up: boolean }>;
}

async function readyz(url: string, strict = false): Promise<{ status: number; body: Readyz }> {
  const res = await fetch(`${url}/readyz${strict ? '?strict=1' : ''}`);
  return { status: res.status, body: (await res.json()) as Readyz };
}

describe.skipIf(!hasBinary)('Redis goes away and comes back', () => {
  let redis: PrivateRedis | undefined;
  let servers: TestServer[] = [];
  const clients: TrackingClient[] = [];
  const prefix = uniquePrefix();

  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await Promise.all(servers.splice(0).map((s) => s.close()));
    if (redis) await dropPrefix(redis.url, prefix);
    await redis?.stop();
    redis = undefined;
  });

  it.each(['streams', 'pubsub'] as const)('instances keep serving their own clients, report degraded, reconnect by themselves and deliver again (%s)', async (transport) => {
    redis = await startPrivateRedis();
    const adapter = redisAdapter(redis.url, prefix, { transport });
    // a and b deliver locally while Redis is away (the default); c refuses instead.
    const a = await startServer({ adapter, adminKey: ADMIN_KEY });
    const b = await startServer({ adapter });
    const c = await startServer({ adapter: redisAdapter(redis.url, prefix, { transport, whenDown: 'reject' }) });
    servers = [a, b, c];
    const [onA, onB, onC] = [a, b, c].map((s) => new TrackingClient(s.url, { roomIds: 'live' }));
    clients.push(onA!, onB!, onC!);
    await Promise.all(clients.map((cl) => cl.connected()));
    expect((await readyz(a.url)).body.status).toBe('ok');

    // One publisher, one message at a time, through the whole outage.
    let sent = 0;
    let stop = false;
    const accepted: number[] = [];
    type Phase = 'before' | 'failing' | 'down' | 'healing' | 'after' | 'mixed';
    const phase = new Map<number, Phase>();
    let current: Phase = 'before';
    const progress = new Set<() => void>();
    const publishing = (async () => {
      while (!stop) {
        const i = ++sent;
        const p = current;
        const res = await postForm(a.url, signedNotify('live', String(i)));
        if (res.body.code !== 1) throw new Error(`notify ${i} failed: ${res.body.msg}`);
        accepted.push(i);
        // A message counts as sent in a phase only when it started and ended in it.
        phase.set(i, p === current ? p : 'mixed');
        progress.forEach((fn) => fn());
      }
    })();
    const publishedAtLeast = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (accepted.length < n) return;
          progress.delete(check);
          resolve();
        };
        progress.add(check);
        check();
      });

    await publishedAtLeast(50);
    const degraded = servers.map((s) => s.backends.health.waitFor('degraded', 10_000));
    current = 'failing';
    // The last message accepted before the stop may still have its broadcast on the wire when
    // Redis dies (README, "When Redis goes away"): it races the outage. Its broadcast is resent
    // when Redis is back (late, after what was accepted meanwhile), or lost with Redis.
    const lastBefore = accepted[accepted.length - 1]!;
    if (phase.get(lastBefore) === 'before') phase.set(lastBefore, 'mixed');
    await redis.stop();
    await Promise.all(degraded);
    current = 'down';
    const inOutage = accepted.length;

    const during = await readyz(a.url);
    expect(during.status).toBe(200);
    expect(during.body.status).toBe('degraded');
    expect(during.body.checks['redis:command']!.up).toBe(false);
    expect((await readyz(a.url, true)).status).toBe(503);
    // Without Redis, c refuses rather than deliver to its own clients only.
    const refused = await postForm(c.url, signedNotify('live', 'refused'));
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 0, error: 'UNAVAILABLE' });
    // Other requests are served as usual.
    expect((await fetch(`${b.url}/healthz`)).status).toBe(200);

    await publishedAtLeast(inOutage + 30);
    const healed = servers.map((s) => s.backends.health.waitFor('ok', 15_000));
    current = 'healing';
    await redis.start();
    await Promise.all(healed);
    current = 'after';
    await publishedAtLeast(accepted.length + 50);
    stop = true;
    await publishing;

    expect((await readyz(a.url)).body.status).toBe('ok');
    const racing = (i: number) => phase.get(i) === 'mixed' || phase.get(i) === 'failing';
    const settled = accepted.filter((i) => !racing(i));
    // a's own client got everything, in order, once: during the outage it was delivered locally.
    // Only a message that raced the outage may come late, or not at all.
    await onA!.until(() => settled.every((i) => onA!.data().includes(String(i))), 10_000, 'every message on a');
    const onAGot = onA!.data().map(Number);
    expect(onAGot.filter((i) => !racing(i))).toEqual(settled);
    expect(new Set(onAGot).size).toBe(onAGot.length);
    // The others got everything before the outage and everything after it, in order, once;
    // what a accepted while it could not reach Redis stayed on a.
    const last = String(accepted[accepted.length - 1]);
    for (const cl of [onB!, onC!]) {
      await cl.until(() => cl.data().includes(last), 10_000, `message ${last}`);
      const got = cl.data().map(Number);
      const inOrder = got.filter((i) => !racing(i));
      expect(inOrder).toEqual([...inOrder].sort((x, y) => x - y));
      expect(new Set(got).size).toBe(got.length);
      const mustHave = accepted.filter((i) => phase.get(i) === 'before' || phase.get(i) === 'after');
      expect(got.filter((i) => mustHave.includes(i))).toEqual(mustHave);
      expect(got.some((i) => phase.get(i) === 'down')).toBe(false);
    }
    // Redis lost its data (no persistence): positions after the outage are a new epoch.
    const epochs = new Set(onB!.messages.map((m) => m.epoch));
    expect(epochs.size).toBe(2);
    // The adapter errors were counted.
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(/im_adapter_errors_total\{connection="command"\} [1-9]/);
    expect(metrics).toMatch(/im_messages_local_only_total\{source="demo"\} [1-9]/);
  });

  it('start-up fails clearly when Redis does not answer and adapter.onStartup is "fail"', async () => {
    const port = await freePort();
    const err = await startServer({
      adapter: redisAdapter(`redis://127.0.0.1:${port}`, prefix, { startupTimeoutMs: 500 }),
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('StartupError');
    expect((err as Error).message).toMatch(new RegExp(`Redis at redis://127.0.0.1:${port}/? is unreachable .*ECONNREFUSED`));
  });

  it('start-up waits for Redis when adapter.onStartup is "wait"', async () => {
    const late = await startPrivateRedis();
    await late.stop();
    // Watch the server's own log: it says it waits, then fails to connect, and keeps trying.
    const lines = new Set<(line: string) => void>();
    const logStream = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.forEach((fn) => fn(l));
        done();
      },
    });
    const logged = (text: string) =>
      new Promise<void>((resolve) => {
        const fn = (l: string) => {
          if (!l.includes(text)) return;
          lines.delete(fn);
          resolve();
        };
        lines.add(fn);
      });
    const waiting = logged('waiting for Redis');
    const refused = logged('ECONNREFUSED');
    let listening = false;
    const starting = startServer(
      { adapter: redisAdapter(late.url, prefix, { onStartup: 'wait' }) },
      { logger: pino({ level: 'debug' }, logStream) },
    ).then((s) => {
      listening = true;
      return s;
    });
    await waiting;
    await refused;
    expect(listening).toBe(false);
    await late.start();
    const server = await starting;
    try {
      expect((await readyz(server.url)).body.status).toBe('ok');
    } finally {
      await server.close();
      await late.stop();
    }
  });
});
