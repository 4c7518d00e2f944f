import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyNotifySign, operatorSign } from '../../packages/signing';
import { postForm, signedNotify } from '../helpers/notify';
import { REDIS_URL, requireRedis } from '../helpers/requirements';
import { startServer, type TestServer } from '../helpers/start-server';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const DATE = '2026-11-26';
let server: TestServer;
beforeAll(async () => {
  server = await startServer({}, { now: () => NOW });
});
afterAll(() => server.close());

function logUrl(source: string, key: string, filename: string, date = DATE, ts = NOW / 1000): string {
  const sign = operatorSign(key, 'logs', source, `${date}/${filename}`, ts);
  return `${server.url}/api/logs?${new URLSearchParams({ source, filename, date, ts: String(ts), sign })}`;
}

describe('filename message logs', () => {
  it('appends one NDJSON line per message to <dir>/<date>/<source>/<filename>', async () => {
    await postForm(server.url, signedNotify('r1,r2', 'first', 'demo', { filename: 'test.log' }));
    await postForm(server.url, signedNotify('r1', '{"a":1}', 'demo', { filename: 'test.log' }));
    const lines = readFileSync(path.join(server.logDir, DATE, 'demo', 'test.log'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    const [a, b] = lines.map((l) => JSON.parse(l));
    expect(a).toMatchObject({ source: 'demo', room_id: 'r1,r2', data: 'first', ts: new Date(NOW).toISOString() });
    expect(typeof a.instance).toBe('string');
    expect(b.data).toBe('{"a":1}');
  });

  it('uses <source>/msg.log for an empty filename and writes nothing without one', async () => {
    await postForm(server.url, signedNotify('r1', 'default', 'demo', { filename: '' }));
    await postForm(server.url, signedNotify('r1', 'unlogged'));
    const text = readFileSync(path.join(server.logDir, DATE, 'demo', 'msg.log'), 'utf8');
    expect(text).toContain('"default"');
    expect(text).not.toContain('unlogged');
  });

  it.each(['../escape.log', '..', 'a/b.log', '/etc/passwd', '.hidden', '%2e%2e%2fx', 'a\u0000b', 'x'.repeat(101)])(
    'refuses filename %j and delivers nothing',
    async (filename) => {
      const res = await postForm(server.url, signedNotify('r1', 'x', 'demo', { filename }));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 0, error: 'INVALID_FILENAME' });
    },
  );

  it("lets a source read its own log back, signed, and never another source's", async () => {
    await postForm(server.url, signedNotify('r1', 'secret', 'demo', { filename: 'own.log' }));
    const own = await fetch(logUrl('demo', 'try4dfs%#fs!#$2334ds(%B)', 'own.log'));
    expect(own.status).toBe(200);
    expect(own.headers.get('content-type')).toContain('application/x-ndjson');
    expect(await own.text()).toContain('"secret"');

    // remote_debug signs correctly for itself: it gets its own (missing) file, never demo's.
    const other = await fetch(logUrl('remote_debug', '5iwdf$%sdfss!#$2334ds(%B)', 'own.log'));
    expect(other.status).toBe(404);
    // remote_debug's key cannot sign for demo.
    const forged = await fetch(logUrl('demo', '5iwdf$%sdfss!#$2334ds(%B)', 'own.log'));
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: 'BAD_SIGN' });
  });

  it('refuses unsigned, stale and path-escaping log reads', async () => {
    const unsigned = await fetch(`${server.url}/api/logs?source=demo&filename=own.log`);
    expect(await unsigned.json()).toMatchObject({ error: 'SIGN_REQUIRED' });
    const stale = await fetch(logUrl('demo', 'try4dfs%#fs!#$2334ds(%B)', 'own.log', DATE, NOW / 1000 - 3600));
    expect(await stale.json()).toMatchObject({ error: 'STALE_TIMESTAMP' });
    const escape = await fetch(logUrl('demo', 'try4dfs%#fs!#$2334ds(%B)', '../../etc/passwd'));
    expect(await escape.json()).toMatchObject({ error: 'INVALID_FILENAME' });
    const badDate = await fetch(logUrl('demo', 'try4dfs%#fs!#$2334ds(%B)', 'own.log', '../2026'));
    expect(await badDate.json()).toMatchObject({ error: 'INVALID_PARAMETER' });
  });
});

const hasRedis = await requireRedis();

describe.each(['file', ...(hasRedis ? ['redis'] : [])])('filename logs of sources whose names run into each other (%s store)', (store) => {
  const KEYS = { shop: 'shop-key-0123456789', shop_eu: 'shop-eu-key-0123456789', solo: 'solo-key-0123456789' };
  const prefix = `mlog-${randomUUID().slice(0, 8)}`;
  let shops: TestServer;
  let redis: Redis | undefined;
  beforeAll(async () => {
    shops = await startServer(
      {
        sources: Object.fromEntries(Object.entries(KEYS).map(([s, signKey]) => [s, { signKey }])),
        ...(store === 'redis' ? { adapter: { type: 'redis' as const, url: REDIS_URL, prefix } } : {}),
      },
      { now: () => NOW },
    );
    if (store === 'redis') redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await shops.close();
    if (redis) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
  });

  const notify = (source: keyof typeof KEYS, filename: string, data: string) =>
    postForm(shops.url, {
      source,
      room_id: 'r',
      data,
      filename,
      sign: legacyNotifySign(source, 'r', data, KEYS[source]),
    });
  const read = async (source: keyof typeof KEYS, filename: string) => {
    const sign = operatorSign(KEYS[source], 'logs', source, `${DATE}/${filename}`, NOW / 1000);
    const res = await fetch(`${shops.url}/api/logs?${new URLSearchParams({ source, filename, date: DATE, ts: String(NOW / 1000), sign })}`);
    return { status: res.status, text: await res.text() };
  };
  /** A log as the old layout wrote it: `<source>_<filename>`. */
  const writeLegacy = async (name: string, line: string) => {
    if (redis) {
      const k = `${prefix}:log:{${DATE}:${name}}`;
      await redis.multi().rpush(k, line).set(`${k}:bytes`, Buffer.byteLength(line)).exec();
    } else {
      mkdirSync(path.join(shops.logDir, DATE), { recursive: true });
      writeFileSync(path.join(shops.logDir, DATE, name), line);
    }
  };

  it('shop + eu_orders.log and shop_eu + orders.log never share a file, and neither reads the other', async () => {
    expect((await notify('shop', 'eu_orders.log', 'from shop')).status).toBe(200);
    expect((await notify('shop_eu', 'orders.log', 'from shop_eu')).status).toBe(200);
    if (store === 'file') {
      expect(readFileSync(path.join(shops.logDir, DATE, 'shop', 'eu_orders.log'), 'utf8')).toContain('"from shop"');
      expect(readFileSync(path.join(shops.logDir, DATE, 'shop_eu', 'orders.log'), 'utf8')).toContain('"from shop_eu"');
    }
    const a = await read('shop', 'eu_orders.log');
    const b = await read('shop_eu', 'orders.log');
    expect(a.status).toBe(200);
    expect(a.text).toContain('"from shop"');
    expect(a.text).not.toContain('"from shop_eu"');
    expect(b.text).toContain('"from shop_eu"');
    expect(b.text).not.toContain('"from shop"');
  });

  it('an old <source>_<filename> log is read only when no other source can claim its name', async () => {
    // shop_eu_orders.log could be shop's eu_orders.log or shop_eu's orders.log: nobody's.
    await writeLegacy('shop_eu_orders.log', '{"data":"old, whose?"}\n');
    await writeLegacy('solo_old.log', '{"data":"old solo"}\n');
    expect((await read('shop', 'eu_orders.log')).text).not.toContain('old, whose?');
    expect((await read('shop_eu', 'orders.log')).text).not.toContain('old, whose?');
    // solo_old.log can only be solo's: read, before today's new lines.
    expect(await read('solo', 'old.log')).toEqual({ status: 200, text: '{"data":"old solo"}\n' });
    expect((await notify('solo', 'old.log', 'new solo')).status).toBe(200);
    const both = await read('solo', 'old.log');
    expect(both.text.split('\n').filter(Boolean).map((l) => JSON.parse(l).data)).toEqual(['old solo', 'new solo']);
  });
});
