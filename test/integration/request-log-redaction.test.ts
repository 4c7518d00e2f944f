import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorSign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { redactUrl } from '../../server/http/request-log';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';

const KEY = DEMO_SOURCES.demo.signKey;
const ADMIN = 'admin-key-for-the-redaction-test-42';
let server: TestServer;
const lines: Array<Record<string, unknown>> = [];
let raw = '';

beforeAll(async () => {
  // The server's real logger, writing into this test: what an operator's log would hold.
  const sink = new Writable({
    write(chunk, _enc, done) {
      raw += String(chunk);
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  server = await startServer({ adminKey: ADMIN }, { logger: pino({ level: 'info' }, sink) });
});
afterAll(() => server?.close());

const logged = (reqId: string) => lines.find((l) => l.reqId === reqId && l.msg === 'request completed');

async function get(path: string, reqId: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  const res = await fetch(server.url + path, { ...init, headers: { 'x-request-id': reqId, ...(init.headers as Record<string, string>) } });
  await res.arrayBuffer();
  await until(() => logged(reqId) !== undefined, 10_000, `the log line of ${reqId}`);
  return logged(reqId)!;
}

describe('the request log', () => {
  it('writes sign, ts and nonce of any URL as [redacted], accepted or refused', async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const sign = operatorSign(KEY, 'online', 'demo', '', ts);
    const ok = await get(`/api/online?source=demo&room_id=&ts=${ts}&sign=${sign}`, 'redact-1');
    expect(ok.status).toBe(200);
    expect(ok.url).toBe('/api/online?source=demo&room_id=&ts=[redacted]&sign=[redacted]');

    const bad = await get(`/api/history?source=demo&room_id=lobby&ts=${ts}&sign=deadbeef${'0'.repeat(56)}&nonce=n0nce-secret-1`, 'redact-2');
    expect(bad.status).toBe(401);
    expect(bad.url).toBe('/api/history?source=demo&room_id=lobby&ts=[redacted]&sign=[redacted]&nonce=[redacted]');

    // The old monitor links (?sign= in the page's own address) and an admin key typed into a URL.
    const page = await get(`/monitor?source=demo&ts=${ts}&sign=${sign}&admin_key=${ADMIN}`, 'redact-3');
    expect(page.url).toBe('/monitor?source=demo&ts=[redacted]&sign=[redacted]&admin_key=[redacted]');

    // Encoded names are the same field to the server, and so are array forms.
    const encoded = await get(`/api/online?source=demo&si%67n=${sign}&ts[]=${ts}`, 'redact-4');
    expect(encoded.url).toBe('/api/online?source=demo&si%67n=[redacted]&ts[]=[redacted]');

    // POST /api/notify is answered before Express (server/http/notify.ts): the same log line.
    const notifySign = 'f'.repeat(32);
    const push = await get(`/api/notify?sign=${notifySign}&nonce=n0nce-secret-2`, 'redact-6', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'source=demo&room_id=lobby&data=x',
    });
    expect(push.url).toBe('/api/notify?sign=[redacted]&nonce=[redacted]');

    for (const secret of [sign, ADMIN, 'n0nce-secret-1', 'n0nce-secret-2', notifySign]) expect(raw).not.toContain(secret);
  });

  it('keeps URLs without secrets as they are', async () => {
    const line = await get('/api/online?source=demo&room_id=lobby&results=1', 'redact-5');
    expect(line.url).toBe('/api/online?source=demo&room_id=lobby&results=1');
  });
});

describe('redactUrl', () => {
  it.each([
    ['/debug', '/debug'],
    ['/a?x=1', '/a?x=1'],
    ['/a?sign=1&x=2', '/a?sign=[redacted]&x=2'],
    ['/a?SIGN=1', '/a?SIGN=[redacted]'],
    ['/a?sign', '/a?sign'], // no value, nothing to hide
    ['/a?sign_key=k&signKey=k2&token=t', '/a?sign_key=[redacted]&signKey=[redacted]&token=[redacted]'],
    ['/a?%zz=1&sign=2', '/a?%zz=1&sign=[redacted]'],
    ['/a?signed=1&ts_x=2', '/a?signed=1&ts_x=2'],
  ])('%s → %s', (input, output) => {
    expect(redactUrl(input)).toBe(output);
  });
});
