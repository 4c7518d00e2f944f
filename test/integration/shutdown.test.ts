import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectClient } from '../helpers/connect-client';
import { signedNotify } from '../helpers/notify';
import { startServer } from '../helpers/start-server';
import { collectMessages, once, until } from '../helpers/wait-for';

describe('graceful shutdown', () => {
  it('finishes a notify in flight, delivers it, then closes sockets and refuses new work', async () => {
    const server = await startServer();
    const sub = await connectClient(server.url, { roomIds: 'r1' });
    const delivered = collectMessages(sub, 1);
    const disconnected = once<string>(sub, 'disconnect');

    // Send the headers and half the body, so the request is in flight when shutdown starts.
    const body = new URLSearchParams(signedNotify('r1', 'in-flight')).toString();
    const half = Math.floor(body.length / 2);
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${server.url}/api/notify`,
        { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) } },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, half));
      // Finish the body only once shutdown is under way.
      until(() => server.inflightRequests === 1, 5000, 'request in flight')
        .then(() => {
          closed = server.close();
          req.end(body.slice(half));
        })
        .catch(reject);
    });
    let closed: Promise<void> | undefined;

    const res = await response;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ code: 1 });
    expect((await delivered)[0]!.data).toBe('in-flight');
    // A transport close (not "io server disconnect") so clients reconnect by themselves,
    // to this server once it is back or to another instance of the cluster.
    expect(await disconnected).toBe('transport close');
    await closed;
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });

  it('does not wait for spare connections that never sent a request (browsers open them)', async () => {
    // The deadline is far beyond the test's time limit: only ending them at once passes.
    const server = await startServer({ shutdownTimeoutMs: 600_000 });
    const spare = connect(server.port, '127.0.0.1');
    await once(spare, 'connect');
    const spareClosed = once(spare, 'close');
    await server.close();
    await spareClosed;
  });

  it('does not wait for a client stalled halfway through its headers', async () => {
    const server = await startServer({ shutdownTimeoutMs: 600_000 });
    // Half-open: it does not end its side when the server ends its own, so only cutting it helps.
    const stalled = connect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true });
    await once(stalled, 'connect');
    stalled.write('GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const cut = ended(stalled);
    await server.close();
    await cut;
    stalled.destroy();
  });

  it('cuts, at shutdownTimeoutMs, a WebSocket whose peer never answers the close frame', async () => {
    const server = await startServer({ shutdownTimeoutMs: 300 });
    const peer = connect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true });
    await once(peer, 'connect');
    let seen = '';
    const upgraded = new Promise<void>((resolve) =>
      peer.on('data', (d) => {
        seen += d.toString('latin1');
        if (seen.includes('101 Switching Protocols')) resolve();
      }),
    );
    peer.write(
      'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await upgraded;
    await until(() => server.io.engine.clientsCount === 1, 5000, 'the Engine.IO session');
    const cut = ended(peer);
    // ws itself would wait 30 s for the answer.
    await server.close();
    await cut;
    peer.destroy();
  });

  it('refuses a new Socket.IO session asked for while it drains requests in flight', async () => {
    const server = await startServer();
    // A notify whose body is half sent keeps the server in its first phase: draining requests.
    const body = new URLSearchParams(signedNotify('r1', 'slow')).toString();
    const slow = connect(server.port, '127.0.0.1');
    await once(slow, 'connect');
    slow.write(
      `POST /api/notify HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/x-www-form-urlencoded\r\n` +
        `content-length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await until(() => server.inflightRequests === 1, 5000, 'notify in flight');
    // A handshake whose request line is in before shutdown starts, and its headers' end after.
    const late = connect(server.port, '127.0.0.1');
    await once(late, 'connect');
    let answer = '';
    late.on('data', (d) => (answer += d));
    const answered = once(late, 'end');
    late.write('GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const closed = server.close();
    late.end('\r\n');
    await answered;
    expect(answer).toMatch(/^HTTP\/1\.1 403/);
    expect(answer).toContain('server is shutting down');
    let notified = '';
    slow.on('data', (d) => (notified += d));
    const slowEnded = once(slow, 'end');
    slow.write(body.slice(10));
    await slowEnded;
    expect(notified).toMatch(/^HTTP\/1\.1 200/);
    await closed;
  });
});

describe('npm start (server/main.ts)', () => {
  const main = path.resolve(__dirname, '../../server/main.ts');
  const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');

  it('starts with the demo configuration, warns loudly, and exits 0 on SIGTERM', async () => {
    const child = spawn(tsx, [main], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_DIR: mkdtempSync(path.join(tmpdir(), 'im-')), NODE_ENV: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    expect(out).toContain('DEMO KEYS IN USE');
    expect(err).toContain('DEMO KEYS IN USE');
    const health = await (await fetch(`http://127.0.0.1:${port}/healthz`)).json();
    expect(health.status).toBe('ok');
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('fails at start-up naming the wrong key', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'im-cfg-'));
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ sources: { demo: { signKey: 'x' } }, prot: 1 }));
    const child = spawn(tsx, [main, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(err).toContain('sources.demo.signKey');
    expect(err).toContain('prot');
  });
});

/** The server ended or cut the connection (a FIN or a reset). */
function ended(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.once('end', resolve);
    socket.once('close', () => resolve());
    socket.on('error', () => {});
  });
}
