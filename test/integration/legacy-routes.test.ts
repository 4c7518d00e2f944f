import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorSign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { postForm, signedNotify } from '../helpers/notify';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';

const ADMIN = 'legacy-routes-admin-key-0123456789';
const DEMO_KEY = DEMO_SOURCES.demo.signKey;
let server: TestServer;
let client: TestSocket;

beforeAll(async () => {
  server = await startServer({ adminKey: ADMIN });
  client = await connectClient(server.url, { roomIds: 'r1', userid: 'u1', username: 'alice' });
  await postForm(server.url, signedNotify('r1', 'logged line', 'demo', { filename: 'orders.log' }));
});
afterAll(async () => {
  client?.close();
  await server?.close();
});

interface Answer {
  status: number;
  body: { code: number; msg: string; data: Record<string, unknown>; error?: string };
  text: string;
}

async function get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(server.url + path, { headers });
  const text = await res.text();
  let body: Answer['body'];
  try {
    body = JSON.parse(text) as Answer['body'];
  } catch {
    body = { code: -1, msg: '', data: {} };
  }
  return { status: res.status, body, text };
}

const admin = { authorization: `Bearer ${ADMIN}` };
const ts = () => String(Math.floor(Date.now() / 1000));
/** An operator sign for `action` over demo and `subject`, in the X-Im-Sign / X-Im-Ts headers. */
function signed(action: string, subject = '', key: string = DEMO_KEY): Record<string, string> {
  const t = ts();
  return { 'x-im-sign': operatorSign(key, action, 'demo', subject, t), 'x-im-ts': t };
}
const today = () => new Date().toISOString().slice(0, 10);

describe('GET / (the original greeted here)', () => {
  it('answers a small page with the greeting and links to /debug, /monitor, /examples/ and the docs', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('^_^ Hello to xin node service ^_^');
    for (const href of ['/debug', '/monitor', '/examples/', '/docs/protocol.md', '/docs/migrating.md']) {
      expect(res.text).toContain(`href="${href}"`);
    }
  });
});

/**
 * Every old URL: without credentials, with the admin key, with an operator sign, with a wrong sign.
 * `action` is the sign it takes (over `subject`, default ''), `use` the signed endpoint its 401 names,
 * `status` and `check` what an authorised read answers.
 */
interface OldUrl {
  url: string;
  action: string;
  subject?: () => string;
  use: string;
  status: number;
  check: (a: Answer) => void;
}
const CASES: OldUrl[] = [
  {
    url: '/readmsg?source=demo&filename=orders.log',
    action: 'logs',
    subject: () => `${today()}/orders.log`,
    use: '/api/logs',
    status: 200,
    check: (a) => expect(JSON.parse(a.text.trim().split('\n')[0]!)).toMatchObject({ source: 'demo', room_id: 'r1', data: 'logged line' }),
  },
  { url: '/read_connections?source=demo', action: 'counts', use: '/api/counts', status: 200, check: (a) => expect(a.body.data).toMatchObject({ connections: 1, sources: { demo: { connections: 1, users: 1 } } }) },
  { url: '/sessionlocation?source=demo', action: 'counts', use: '/api/counts', status: 200, check: (a) => expect(Object.values(a.body.data.instances as Record<string, number>)).toEqual([1]) },
  { url: '/readmsglocation?source=demo', action: 'counts', use: '/api/counts', status: 200, check: (a) => expect(a.body.data).toMatchObject({ messages_in: { demo: 1 } }) },
  {
    url: '/clientlog?source=demo',
    action: 'monitor',
    use: '/api/presence/stream',
    status: 200,
    check: (a) => expect(a.body.data.recent).toContainEqual(expect.objectContaining({ type: 'connect', userid: 'u1', source: 'demo' })),
  },
  { url: '/readsysmsg?source=demo', action: 'counts', use: '/api/counts', status: 410, check: (a) => expect(a.body.msg).toContain('stdout') },
  { url: '/errorlog?source=demo', action: 'counts', use: '/api/counts', status: 410, check: (a) => expect(a.body.msg).toContain('level 50') },
];

/** What an authorised read of `c.url` answers. */
function expectRead(c: OldUrl, a: Answer): void {
  expect(a.status).toBe(c.status);
  c.check(a);
}
const subjectOf = (c: OldUrl) => c.subject?.() ?? '';

describe("the original's read-out URLs, behind operator auth", () => {
  it.each(CASES)('$url without credentials: 401 naming the signed endpoint', async ({ url, action, use }) => {
    const res = await get(url);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 0, error: 'SIGN_REQUIRED' });
    expect(res.body.msg).toContain(use);
    expect(res.body.msg).toContain(`"${action}"`);
    expect(res.text).not.toContain('logged line');
  });

  it.each(CASES)('$url with the admin key', async (c) => {
    expectRead(c, await get(c.url, admin));
  });

  it.each(CASES)('$url with an operator sign for its action', async (c) => {
    expectRead(c, await get(c.url, signed(c.action, subjectOf(c))));
  });

  it.each(CASES)("$url refuses another action's sign, another source's key and a wrong admin key", async (c) => {
    const { url, action } = c;
    const other = action === 'logs' ? 'online' : 'logs';
    expect((await get(url, signed(other, subjectOf(c)))).status).toBe(401);
    expect((await get(url, signed(action, subjectOf(c), DEMO_SOURCES.remote_debug.signKey))).status).toBe(401);
    const wrongAdmin = await get(url, { authorization: 'Bearer not-the-admin-key-0123456789' });
    expect([400, 401]).toContain(wrongAdmin.status);
    expect(wrongAdmin.text).not.toContain('logged line');
  });

  it('/readmsg never reads a path-like filename, even with the admin key', async () => {
    const res = await get('/readmsg?source=demo&filename=../../etc/passwd', admin);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('INVALID_FILENAME');
  });

  it('/read_connections with the admin key and no source counts every source, and follows disconnects', async () => {
    const other = await connectClient(server.url, { roomIds: 'r2', userid: 'u2', username: 'bob' });
    await until(async () => ((await get('/read_connections', admin)).body.data.connections as number) === 2, 5000, 'two connections');
    other.close();
    await until(async () => ((await get('/read_connections', admin)).body.data.connections as number) === 1, 5000, 'back to one');
    const log = await get('/clientlog?source=demo', admin);
    const recent = log.body.data.recent as Array<{ type: string; userid: string }>;
    expect(recent).toContainEqual(expect.objectContaining({ type: 'disconnect', userid: 'u2' }));
  });

  it('/api/counts answers with an operator sign for counts', async () => {
    const res = await get('/api/counts?source=demo', signed('counts'));
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ source: 'demo', connections: 1, users: 1 });
  });
});

describe('/online, /today and /refreshpage (already signed routes)', () => {
  it.each([
    ['/online?source=demo', 'online', ''],
    ['/today?source=demo', 'today', ''],
    ['/refreshpage?source=demo&room=r1', 'refresh', 'r1'],
  ])('%s is refused without credentials and answers with the admin key or its sign', async (url, action, subject) => {
    const bare = await get(url);
    expect(bare.status).toBeGreaterThanOrEqual(400);
    expect(bare.body).toMatchObject({ code: 0, error: 'SIGN_REQUIRED' });
    expect((await get(url, admin)).status).toBe(200);
    expect((await get(url, signed(action, subject))).status).toBe(200);
  });
});
