import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { signRequest } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { postForm } from '../helpers/notify';
import { startCli } from '../helpers/run-cli';
import { once } from '../helpers/wait-for';

const DEMO_KEY = DEMO_SOURCES.demo.signKey;

interface ConnectErr extends Error {
  data?: { code: string; message: string };
}

describe('--workers without Redis: one replay store for all workers', () => {
  it('refuses a strong connect URL replayed to the other worker, and counts source rates in the primary', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'im-sec-workers-'));
    const configFile = path.join(dir, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        logDir: dir,
        sources: { demo: { signKey: DEMO_KEY } },
        // High enough never to refuse here: every post still goes through the primary's counter.
        rateLimits: { windowSeconds: 1, perConnection: 100, perIp: 1000, perSource: 1000 },
      }),
    );
    const server = startCli(['--workers', '2', '--port', '0', '--config', configFile], { LOG_DIR: undefined });
    onTestFinished(async () => {
      await server.stop();
    });
    const sockets: TestSocket[] = [];
    onTestFinished(() => sockets.forEach((s) => s.close()));
    const url = `http://127.0.0.1:${await server.listening}`;

    const query = new URLSearchParams({
      ...signRequest({ kind: 'connect', source: 'demo', roomIds: 'w', userid: 'u1', signKey: DEMO_KEY }),
      username: 'u1',
    }).toString();
    const first = io(`${url}?${query}`, { transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(first);
    await once(first, 'connect', 10_000);
    // The first connection keeps its worker busy, so the balancer (least-connection) hands the
    // next one to the other worker, which never saw this nonce itself.
    const again = io(`${url}?${query}`, { transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(again);
    const err = await once<ConnectErr>(again, 'connect_error', 10_000);
    expect(err.data?.code).toBe('REPLAYED_SIGN');

    const other = await connectClient(url, { roomIds: 'w' });
    sockets.push(other);
    for (let i = 0; i < 3; i++) expect(await other.emitWithAck('postMsg', `m${i}`, 'w')).toEqual({ ok: true });
    const body = signRequest({ kind: 'notify', source: 'demo', roomId: 'w', data: 'x', signKey: DEMO_KEY });
    expect((await postForm(url, body)).status).toBe(200);
    expect((await postForm(url, body)).body.error).toBe('REPLAYED_SIGN');
  }, 60_000);
});
