import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyNotifySign, md5Hex } from '../../packages/signing';
import { connectClient } from '../helpers/connect-client';
import { postForm, signedNotify } from '../helpers/notify';
import { startServer, type TestServer } from '../helpers/start-server';
import { collectMessages } from '../helpers/wait-for';

const DEMO_KEY = 'try4dfs%#fs!#$2334ds(%B)';
let server: TestServer;
beforeAll(async () => {
  server = await startServer({ limits: { maxMessageBytes: 1024, maxBodyBytes: 4096 } });
});
afterAll(() => server.close());

/** A raw HTTP POST, as curl sends it from PHP. */
function rawPost(path: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the seed back-end demos', () => {
  it('PHP curl with http_build_query: code 1 and the room receives the timestamp', async () => {
    const sub = await connectClient(server.url, { roomIds: 'monitor_room' });
    const got = collectMessages(sub, 1);
    // $data = time(); $sign = md5($source . $room_id . $data . $sign_key); http_build_query($fields)
    const data = String(Math.floor(Date.now() / 1000));
    const sign = md5Hex('demo' + 'monitor_room' + data + DEMO_KEY);
    const body = `source=demo&room_id=monitor_room&data=${data}&sign=${sign}`;
    const res = await rawPost('/api/notify', body, { 'Content-Type': 'application/x-www-form-urlencoded', Accept: '*/*' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ code: 1, msg: 'message notify successed!', data: '' });
    const [msg] = await got;
    expect(msg).toMatchObject({ source: 'demo', data, room_id: 'monitor_room' });
    sub.close();
  });

  it('jQuery $.post (form body, cross-origin): code 1 and one message per room', async () => {
    const room1 = await connectClient(server.url, { roomIds: 'room1,room3' });
    const got = collectMessages(room1, 2);
    const source = 'demo';
    const room_ids = 'room1,room2,room3,room4';
    const send_data = 'test';
    const message = { source, data: send_data, sign: md5Hex(source + room_ids + send_data + DEMO_KEY), room_id: room_ids };
    // What jQuery sends: $.param(message) with the X-Requested-With-less CORS simple request.
    const res = await fetch(`${server.url}/api/notify`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8', Origin: 'http://page.example' },
      body: new URLSearchParams(message).toString(),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://page.example');
    expect(await res.json()).toEqual({ code: 1, msg: 'message notify successed!', data: '' });
    const msgs = await got;
    expect(msgs.map((m) => m.room_id).sort()).toEqual(['room1', 'room3']);
    expect(msgs.every((m) => m.data === 'test' && m.source === 'demo')).toBe(true);
    room1.close();
  });

  it('Node request.post({form}): code 1', async () => {
    const room_ids = 'room1,room2,room3,room4';
    const res = await postForm(server.url, {
      source: 'demo',
      data: 'test',
      sign: md5Hex('demo' + room_ids + 'test' + DEMO_KEY),
      room_id: room_ids,
    });
    expect(res).toEqual({ status: 200, body: { code: 1, msg: 'message notify successed!', data: '' } });
  });
});

describe('POST /api/notify', () => {
  it('accepts JSON bodies', async () => {
    const res = await fetch(`${server.url}/api/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(signedNotify('r1', '{"factory_count":47}')),
    });
    expect(await res.json()).toMatchObject({ code: 1 });
  });

  it('delivers data exactly as sent, as a string', async () => {
    const sub = await connectClient(server.url, { roomIds: 'dash' });
    const got = collectMessages(sub, 1);
    const data = '{"factory_count":47,"cover_city_count":14}';
    await postForm(server.url, signedNotify('dash', data));
    expect((await got)[0]!.data).toBe(data);
    sub.close();
  });

  it.each([
    [{}, 'SOURCE_REQUIRED', 'source can not be null!', 400],
    [{ source: 'demo' }, 'DATA_REQUIRED', 'data can not be null!', 400],
    [{ source: 'demo', data: 'x' }, 'SIGN_REQUIRED', 'sign can not be null!', 400],
    [{ source: 'demo', data: 'x', sign: 'abc' }, 'ROOMS_REQUIRED', 'room_id can not be null!', 400],
    [{ source: 'nope', data: 'x', sign: 'abc', room_id: 'r' }, 'UNKNOWN_SOURCE', 'this source can not be configured!', 403],
    [{ source: 'demo', data: 'x', sign: 'abc', room_id: 'r' }, 'BAD_SIGN', 'api notify sign verify failed!', 401],
  ])('refuses %j in the contract order', async (fields, error, msg, status) => {
    const res = await postForm(server.url, fields as Record<string, string>);
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ code: 0, msg, data: '', error });
  });

  it('refuses a sign computed for another room list', async () => {
    const body = { ...signedNotify('r1', 'x'), room_id: 'r1,r2' };
    expect((await postForm(server.url, body)).body.error).toBe('BAD_SIGN');
  });

  it('refuses invalid rooms, oversize data and object data with clear errors', async () => {
    expect((await postForm(server.url, signedNotify('a b', 'x'))).body.error).toBe('INVALID_ROOM');
    const big = 'x'.repeat(2000);
    const tooBig = await postForm(server.url, signedNotify('r1', big));
    expect(tooBig).toMatchObject({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE' } });
    const res = await fetch(`${server.url}/api/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'demo', data: { a: 1 }, sign: 'x', room_id: 'r1' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 0, error: 'INVALID_PARAMETER', msg: expect.stringContaining('data must be a string') });
  });

  it('answers malformed bodies with errors, never a crash', async () => {
    const badJson = await rawPost('/api/notify', '{"source":', { 'Content-Type': 'application/json' });
    expect(badJson.status).toBe(400);
    expect(JSON.parse(badJson.body)).toMatchObject({ code: 0, error: 'INVALID_PARAMETER' });
    const huge = await rawPost('/api/notify', 'data=' + 'x'.repeat(10_000), { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body)).toMatchObject({ code: 0, error: 'PAYLOAD_TOO_LARGE' });
    const arrayBody = await rawPost('/api/notify', '[1,2]', { 'Content-Type': 'application/json' });
    expect(JSON.parse(arrayBody.body)).toMatchObject({ error: 'SOURCE_REQUIRED' });
    const repeated = await rawPost('/api/notify', 'source=demo&source=demo&data=x', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(JSON.parse(repeated.body)).toMatchObject({ error: 'INVALID_PARAMETER' });
    const text = await rawPost('/api/notify', 'hello', { 'Content-Type': 'text/plain' });
    expect(JSON.parse(text.body)).toMatchObject({ error: 'SOURCE_REQUIRED' });
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('answers the CORS preflight of a cross-origin page', async () => {
    const res = await fetch(`${server.url}/api/notify`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://page.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://page.example');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toContain('content-type');
  });

  it('keeps sources apart: the same room name of another source hears nothing', async () => {
    const other = await connectClient(server.url, { source: 'remote_debug', roomIds: 'shared' });
    const mine = await connectClient(server.url, { source: 'demo', roomIds: 'shared' });
    const leaked: unknown[] = [];
    other.on('newMsg', (m) => leaked.push(m));
    const got = collectMessages(mine, 1);
    await postForm(server.url, signedNotify('shared', 'only-demo'));
    expect((await got)[0]!.data).toBe('only-demo');
    // A message to `other` afterwards proves the socket was live and nothing arrived before it.
    const marker = collectMessages(other, 1);
    await postForm(server.url, signedNotify('shared', 'marker', 'remote_debug'));
    expect((await marker)[0]!.data).toBe('marker');
    expect(leaked).toHaveLength(1);
    other.close();
    mine.close();
  });

  it('signs the room list as sent, including spaces', async () => {
    const room_id = 'r1, r2';
    const sub = await connectClient(server.url, { roomIds: 'r2' });
    const got = collectMessages(sub, 1);
    const res = await postForm(server.url, {
      source: 'demo',
      room_id,
      data: 'd',
      sign: legacyNotifySign('demo', room_id, 'd', DEMO_KEY),
    });
    expect(res.body.code).toBe(1);
    expect((await got)[0]!.room_id).toBe('r2');
    sub.close();
  });
});
