import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedNotify } from '../helpers/notify';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';

/** The server's log lines, parsed. */
const lines: Array<Record<string, unknown>> = [];
let server: TestServer;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  server = await startServer({}, { logger: pino({ level: 'info' }, sink) });
});
afterAll(() => server.close());

const withId = (id: string) => lines.filter((l) => l.reqId === id);

describe('request log and request ids', () => {
  it('logs one line per request with the caller’s X-Request-Id, answered back', async () => {
    const res = await fetch(`${server.url}/api/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': 'push-42' },
      body: new URLSearchParams(signedNotify('r1', 'hello')),
    });
    expect(res.headers.get('x-request-id')).toBe('push-42');
    expect((await res.json()).code).toBe(1);
    await until(() => withId('push-42').length === 1, 5000, 'the log line');
    expect(withId('push-42')[0]).toMatchObject({ msg: 'request completed', method: 'POST', url: '/api/notify', status: 200, level: 30 });
    expect(typeof withId('push-42')[0]!.ms).toBe('number');
  });

  it('gives a fresh id when the caller sends none or an unusable one, and logs refusals under it', async () => {
    const res = await fetch(`${server.url}/api/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': 'no spaces allowed' },
      body: new URLSearchParams({ ...signedNotify('r1', 'hello'), sign: 'wrong' }),
    });
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.status).toBe(401);
    await until(() => withId(id).length === 2, 5000, 'the refusal and the request lines');
    expect(withId(id).map((l) => l.msg).sort()).toEqual(['request completed', 'request refused']);
    expect(withId(id).find((l) => l.msg === 'request refused')).toMatchObject({ err: { code: 'BAD_SIGN' } });
  });

  it('does not log the probes that load balancers poll', async () => {
    const before = lines.length;
    for (const p of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${server.url}${p}`)).status).toBe(200);
    // A logged request after them: once its line is in, theirs would be too.
    const marker = await fetch(`${server.url}/js/md5.js`, { headers: { 'x-request-id': 'marker' } });
    await marker.arrayBuffer();
    await until(() => withId('marker').length === 1, 5000, 'the marker line');
    expect(lines.slice(before).map((l) => l.url)).toEqual(['/js/md5.js']);
  });
});
