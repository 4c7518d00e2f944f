import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundHits } from '../helpers/bound-hits';
import { connectClient } from '../helpers/connect-client';
import { hookTransport } from '../helpers/hook-transport';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';

// Connection caps on unsigned hooks, and the default bounds (the other memory bounds:
// memory-bounds-history.test.ts, memory-bounds-presence.test.ts).

describe('unsigned hook floods: connection caps refuse with a clear code', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      sources: {
        demo: { signKey: 'try4dfs%#fs!#$2334ds(%B)' },
        remote_debug: { signKey: '5iwdf$%sdfss!#$2334ds(%B)', hook: { rooms: ['console-log'] } },
      },
      limits: { maxHookConnectionsPerIp: 4, maxHookConnectionsPerSource: 6 },
    });
  });
  afterAll(() => server.close());

  const hook = (ip?: string) =>
    io(`${server.url}?source=remote_debug&room_ids=console-log&role=publisher`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      ...(ip ? { extraHeaders: { 'x-forwarded-for': ip } } : {}),
    });
  const outcome = (s: ReturnType<typeof hook>) =>
    new Promise<{ ok: true } | { ok: false; code?: string; message: string }>((resolve) => {
      s.once('connect', () => resolve({ ok: true }));
      s.once('connect_error', (err: Error & { data?: { code?: string } }) => resolve({ ok: false, code: err.data?.code, message: err.message }));
    });

  it('per address and per source; signed clients from that address still connect; counted', async () => {
    const sockets = Array.from({ length: 4 }, () => hook());
    expect(await Promise.all(sockets.map(outcome))).toEqual(Array(4).fill({ ok: true }));
    const fifth = hook();
    expect(await outcome(fifth)).toEqual({
      ok: false,
      code: 'TOO_MANY_CONNECTIONS',
      message: 'too many open connections of unsigned hooks from this IP address (at most 4); close one and retry',
    });
    fifth.close();
    // A signed reader from the same address is not an unsigned hook.
    const reader = await connectClient(server.url, { userid: 'reader' });
    expect(await boundHits(server, 'hook_connections_per_ip', 'remote_debug')).toBe(1);
    // The per-source cap holds across addresses (a loopback proxy's X-Forwarded-For names them).
    const more = [hook('198.51.100.7'), hook('198.51.100.7'), hook('198.51.100.8')];
    const got = await Promise.all(more.map(outcome));
    expect(got.filter((g) => g.ok)).toHaveLength(2);
    expect(got.find((g) => !g.ok)).toEqual({
      ok: false,
      code: 'TOO_MANY_CONNECTIONS',
      message: 'too many open connections of unsigned hooks for source remote_debug (at most 6); close one and retry',
    });
    expect(await boundHits(server, 'hook_connections_per_source', 'remote_debug')).toBe(1);
    for (const s of more) s.close();
    for (const s of sockets) s.close();
    reader.close();
    await until(() => server.context.security.connections.open.ips === 0, 5000, 'all connections released');
    const again = hook();
    expect(await outcome(again)).toEqual({ ok: true });
    again.close();
  });

  it('a browser hook turned away by the cap keeps its entries and gets in once a place frees up', async () => {
    await until(() => server.context.security.connections.open.hookIps === 0, 5000, 'earlier hooks released');
    const blockers = Array.from({ length: 4 }, () => hook());
    expect(await Promise.all(blockers.map(outcome))).toEqual(Array(4).fill({ ok: true }));
    const { transport, buffer, diags } = hookTransport(server.url, 'late-hook');
    try {
      buffer.push({ kind: 'log', v: 1, level: 'info', method: 'log', args: ['kept while refused'], ts: Date.now(), seq: 1, session: 'late', origin: 'browser' } as never);
      transport.schedule();
      await until(() => diags.some((d) => d.includes('TOO_MANY_CONNECTIONS')), 10_000, 'the diagnostic');
      expect(diags[0]).toMatch(/turned the hook away for now \(TOO_MANY_CONNECTIONS\).*keeping entries and retrying/);
      expect(transport.status()).toMatchObject({ connected: false, buffered: 1, sent: 0 });
      blockers[0]!.close();
      await until(() => transport.status().sent === 1, 15_000, 'the entry delivered');
    } finally {
      transport.close();
      for (const b of blockers) b.close();
    }
  });

  it('the default caps are on', async () => {
    const defaults = await startServer();
    try {
      expect(defaults.context.config.limits).toMatchObject({ maxConnectionsPerIp: 256, maxHookConnectionsPerIp: 8, maxHookConnectionsPerSource: 256 });
      expect(defaults.context.config.history).toMatchObject({ maxBytes: 64 * 1024 * 1024, maxRoomBytes: 4 * 1024 * 1024 });
      expect(defaults.context.config.presence).toMatchObject({ maxUsersPerSource: 5000, pageViews: { maxPerSource: 5000 } });
    } finally {
      await defaults.close();
    }
  });
});
