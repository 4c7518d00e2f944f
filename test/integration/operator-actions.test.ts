import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_ACTIONS, OPERATOR_ACTION_NAMES, type OperatorRoute } from '../../packages/protocol';
import type { OperatorSignReport } from '../../terminal-viewer/commands/sign';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { postForm, signedNotify } from '../helpers/notify';
import { runImDebug } from '../helpers/run-im-debug';
import { startServer, type TestServer } from '../helpers/start-server';

/**
 * One test over the shared list of operator actions: for EVERY action, `im-debug sign --action`
 * makes a sign that EVERY route of the action accepts — in the query (older callers) and in the
 * X-Im-Sign / X-Im-Ts headers (the pages) — and a wrong one is refused. A new action in
 * packages/protocol/operator-actions.ts is covered here without touching this file.
 */

let server: TestServer;
let user: TestSocket;
const today = new Date().toISOString().slice(0, 10);
const LOG_FILE = 'operator-actions.log';

/** Subjects that need something to exist on the server; the list's example subject otherwise. */
const SUBJECTS: Record<string, string> = {
  logs: `${today}/${LOG_FILE}`,
  history: 'lobby',
  refresh: 'lobby',
  pageviews: 'op-user',
};

beforeAll(async () => {
  server = await startServer();
  user = await connectClient(server.url, { userid: 'op-user', username: 'Operator Test', roomIds: 'lobby' });
  const pushed = await postForm(server.url, signedNotify('lobby', 'for the log and the history', 'demo', { filename: LOG_FILE }));
  expect(pushed.status).toBe(200);
});
afterAll(async () => {
  user?.close();
  await server?.close();
});

async function signWithCli(action: string, subject: string): Promise<OperatorSignReport> {
  const p = runImDebug(['sign', '--source', 'demo', '--action', action, '--subject', subject, '--json']);
  const { code } = await p.exited;
  expect(code, p.stderr.join('\n')).toBe(0);
  return (JSON.parse(p.stdout.join('\n')) as { operator: OperatorSignReport }).operator;
}

/** Calls a route; for a stream, only its opening (status and content type), then hangs up. */
async function call(route: OperatorRoute, query: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; type: string }> {
  const controller = new AbortController();
  const url = `${server.url}${route.path}${route.method === 'GET' ? `?${query}` : ''}`;
  const res = await fetch(url, {
    method: route.method,
    headers: route.method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded', ...headers } : headers,
    body: route.method === 'POST' ? query : undefined,
    signal: controller.signal,
  });
  const type = res.headers.get('content-type') ?? '';
  if (type.startsWith('text/event-stream')) {
    // The first chunk (`retry:`/`hello`) shows the stream was opened for this sign.
    const reader = res.body!.getReader();
    const first = await reader.read();
    controller.abort();
    return { status: res.status, body: new TextDecoder().decode(first.value), type };
  }
  return { status: res.status, body: await res.text(), type };
}

function accepted(route: OperatorRoute, r: { status: number; body: string; type: string }, what: string): void {
  expect(r.status, `${what}: ${r.body}`).toBe(200);
  if (route.stream) expect(r.type).toMatch(/^text\/event-stream/);
  else if (r.type.includes('ndjson')) expect(r.body).toContain('"source":"demo"');
  else expect(JSON.parse(r.body)).toMatchObject({ code: 1 });
}

describe('every operator action of the shared list', { timeout: 60_000 }, () => {
  it('has routes, a description and its subject parameters', () => {
    expect(OPERATOR_ACTION_NAMES).toEqual(expect.arrayContaining(['refresh', 'logs', 'history', 'online', 'today', 'pageviews', 'monitor']));
    for (const name of OPERATOR_ACTION_NAMES) {
      const a = OPERATOR_ACTIONS[name];
      expect(a.name).toBe(name);
      expect(a.routes.length).toBeGreaterThan(0);
      expect(a.allows).not.toBe('');
    }
  });

  it.each(OPERATOR_ACTION_NAMES)('%s: the sign from im-debug sign --action is accepted on each of its routes', async (name) => {
    const action = OPERATOR_ACTIONS[name];
    const subject = SUBJECTS[name] ?? action.exampleSubject;
    const op = await signWithCli(name, subject);
    expect(op).toMatchObject({ action: name, subject });
    const first = action.routes[0]!;
    expect(op.request).toBe(`${first.method} ${first.path}?${op.query}`);

    const bare = new URLSearchParams(op.query);
    bare.delete('ts');
    bare.delete('sign');
    expect(op.headers.request).toBe(`${first.method} ${first.path}?${bare.toString()}`);
    for (const route of action.routes) {
      const where = `${name} ${route.method} ${route.path}`;
      accepted(route, await call(route, op.query), `${where} (query)`);
      accepted(route, await call(route, bare.toString(), { 'X-Im-Sign': op.sign, 'X-Im-Ts': op.ts }), `${where} (headers)`);

      // The wrong credential: the sign with one digit changed.
      const wrong = await call(route, bare.toString(), { 'X-Im-Sign': op.sign.replace(/^./, (c) => (c === '0' ? '1' : '0')), 'X-Im-Ts': op.ts });
      expect(wrong.status, where).toBe(401);
      expect(JSON.parse(wrong.body)).toMatchObject({ code: 0, error: 'BAD_SIGN' });
      expect(JSON.parse(wrong.body).msg).toContain(`sign verify failed for ${name}`);
    }
  });

  it("refuses one action's sign on another action's route", async () => {
    const online = await signWithCli('online', '');
    const r = await call(OPERATOR_ACTIONS.monitor.routes[0]!, `source=demo`, { 'X-Im-Sign': online.sign, 'X-Im-Ts': online.ts });
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'BAD_SIGN' });
  });

  it('refuses a header sign without its ts, and an expired one', async () => {
    const op = await signWithCli('online', '');
    const noTs = await call(OPERATOR_ACTIONS.online.routes[0]!, 'source=demo&room_id=', { 'X-Im-Sign': op.sign });
    expect(noTs.status).toBe(400);
    expect(JSON.parse(noTs.body).msg).toMatch(/x-im-ts/i);
    const old = String(Number(op.ts) - 3600);
    const p = runImDebug(['sign', '--source', 'demo', '--action', 'online', '--subject', '', '--ts', old, '--json']);
    await p.exited;
    const stale = (JSON.parse(p.stdout.join('\n')) as { operator: OperatorSignReport }).operator;
    const r = await call(OPERATOR_ACTIONS.online.routes[0]!, 'source=demo&room_id=', { 'X-Im-Sign': stale.sign, 'X-Im-Ts': stale.ts });
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'STALE_TIMESTAMP' });
  });

  it('refuses an action outside the list in im-debug sign, naming every action', async () => {
    const p = runImDebug(['sign', '--source', 'demo', '--action', 'nosuch', '--subject', 'x']);
    const { code } = await p.exited;
    expect(code).not.toBe(0);
    const text = p.stderr.join('\n');
    for (const name of OPERATOR_ACTION_NAMES) expect(text).toContain(name);
  });

  it('im-debug sign --help lists every action with an example', async () => {
    const p = runImDebug(['sign', '--help']);
    await p.exited;
    const help = p.stdout.join('\n');
    for (const name of OPERATOR_ACTION_NAMES) {
      expect(help).toContain(OPERATOR_ACTIONS[name].allows);
      expect(help).toMatch(new RegExp(`\\$ im-debug sign .*--action ${name}\\b`));
    }
  });
});
