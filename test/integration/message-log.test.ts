import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorSign } from '../../packages/signing';
import { postForm, signedNotify } from '../helpers/notify';
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
  it('appends one NDJSON line per message to <dir>/<date>/<source>_<filename>', async () => {
    await postForm(server.url, signedNotify('r1,r2', 'first', 'demo', { filename: 'test.log' }));
    await postForm(server.url, signedNotify('r1', '{"a":1}', 'demo', { filename: 'test.log' }));
    const lines = readFileSync(path.join(server.logDir, DATE, 'demo_test.log'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    const [a, b] = lines.map((l) => JSON.parse(l));
    expect(a).toMatchObject({ source: 'demo', room_id: 'r1,r2', data: 'first', ts: new Date(NOW).toISOString() });
    expect(typeof a.instance).toBe('string');
    expect(b.data).toBe('{"a":1}');
  });

  it('uses <source>_msg.log for an empty filename and writes nothing without one', async () => {
    await postForm(server.url, signedNotify('r1', 'default', 'demo', { filename: '' }));
    await postForm(server.url, signedNotify('r1', 'unlogged'));
    const text = readFileSync(path.join(server.logDir, DATE, 'demo_msg.log'), 'utf8');
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
