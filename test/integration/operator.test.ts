import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyConnectSign, operatorSign } from '../../packages/signing';
import { connectClient } from '../helpers/connect-client';
import { postForm, signedNotify } from '../helpers/notify';
import { startServer, type TestServer } from '../helpers/start-server';
import { once } from '../helpers/wait-for';

const KEY = 'try4dfs%#fs!#$2334ds(%B)';
const ADMIN = 'admin-key-0123456789abcdef';
let server: TestServer;
beforeAll(async () => {
  server = await startServer({ adminKey: ADMIN });
});
afterAll(() => server.close());

const ts = () => Math.floor(Date.now() / 1000);

describe('refreshPage', () => {
  it('makes the pages of a room reload, with an operator sign', async () => {
    const page = await connectClient(server.url, { roomIds: 'dashboard' });
    const bystander = await connectClient(server.url, { roomIds: 'elsewhere' });
    let bystanderRefreshed = false;
    bystander.on('refreshPage', () => (bystanderRefreshed = true));
    const refreshed = once(page, 'refreshPage');
    const t = ts();
    const res = await postForm(server.url, { source: 'demo', room_id: 'dashboard', ts: String(t), sign: operatorSign(KEY, 'refresh', 'demo', 'dashboard', t) }, '/api/refresh');
    expect(res).toMatchObject({ status: 200, body: { code: 1, data: { rooms: ['dashboard'] } } });
    await refreshed;
    // The bystander gets a message after the refresh; had it been refreshed it would be seen first.
    const marker = once(bystander, 'newMsg');
    await postForm(server.url, signedNotify('elsewhere', 'after'));
    await marker;
    expect(bystanderRefreshed).toBe(false);
    page.close();
    bystander.close();
  });

  it('keeps the original /refreshpage?room= path, signed', async () => {
    const page = await connectClient(server.url, { roomIds: 'legacy' });
    const refreshed = once(page, 'refreshPage');
    const t = ts();
    const res = await fetch(`${server.url}/refreshpage?source=demo&room=legacy&ts=${t}&sign=${operatorSign(KEY, 'refresh', 'demo', 'legacy', t)}`);
    expect(res.status).toBe(200);
    await refreshed;
    page.close();
  });

  it('refuses a connect sign (which pages expose) in place of an operator sign', async () => {
    const res = await postForm(server.url, { source: 'demo', room_id: 'dashboard', ts: String(ts()), sign: legacyConnectSign('demo', 'dashboard', KEY) }, '/api/refresh');
    expect(res).toMatchObject({ status: 401, body: { code: 0, error: 'BAD_SIGN' } });
  });

  it('accepts the admin key for any source', async () => {
    const res = await fetch(`${server.url}/api/refresh`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'remote_debug', room_id: 'console-log' }),
    });
    expect(res.status).toBe(200);
    const wrong = await fetch(`${server.url}/api/refresh`, {
      method: 'POST',
      headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'remote_debug', room_id: 'console-log' }),
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: 'SIGN_REQUIRED' });
  });
});

describe('GET /api/history', () => {
  it('returns the recent messages of a room to a signed operator', async () => {
    for (const d of ['a', 'b', 'c']) await postForm(server.url, signedNotify('feed', d));
    const t = ts();
    const url = `${server.url}/api/history?source=demo&room_id=feed&limit=2&ts=${t}&sign=${operatorSign(KEY, 'history', 'demo', 'feed', t)}`;
    const res = await fetch(url);
    const body = await res.json();
    expect(body).toMatchObject({ code: 1, data: { room_id: 'feed', truncated: false } });
    expect(body.data.messages.map((m: { data: string }) => m.data)).toEqual(['b', 'c']);
  });
});

describe('health and unknown routes', () => {
  it('answers /healthz and a JSON 404', async () => {
    const health = await (await fetch(`${server.url}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok' });
    const res = await fetch(`${server.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 0, error: 'NOT_FOUND' });
    expect(res.headers.get('x-request-id')).toMatch(/[0-9a-f-]{36}/);
  });
});
