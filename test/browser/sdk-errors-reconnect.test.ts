import { beforeAll, describe, expect, it } from 'vitest';
import { holdHandshakes } from '../helpers/hold-handshakes';
import { postForm, signedNotify } from '../helpers/notify';
import { requireChromium } from '../helpers/requirements';
import { state, t, useSdkPages, waitT, type T } from '../helpers/sdk-pages';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';

// What the browser SDK does on a refused connection, a stopped server and a brief reconnect.

const enabled = requireChromium();
const sdk = useSdkPages(enabled);
const { open, sdkPage, extraServers } = sdk;
let relay: TestServer;
beforeAll(() => {
  relay = sdk.relay;
});

describe.runIf(enabled)('browser SDK in real Chromium: errors and reconnects', () => {
  it('a bad sign or a missing parameter reaches sys_error_callback with the server message, and is not retried', async () => {
    const p = await open(sdkPage('bad-sign.html', relay, '44', 'room1', ", reconnection_delay: 10", 'f'.repeat(32)));
    await waitT(p.page, 't.errors.length === 1');
    expect((await t(p.page)).errors).toEqual([['sign verify failed!', 'BAD_SIGN', 'handshake']]);
    expect(await state(p.page)).toBe('closed');
    // Nothing left that could retry: the engine connection is closed.
    expect(await p.page.evaluate(() => (window as unknown as { XIN_NODE: { socket: { io: { engine: { readyState: string } } } } }).XIN_NODE.socket.io.engine.readyState)).toBe('closed');
    expect((await t(p.page)).attempts).toEqual([]);

    // The session is closed, so init may be called again: here without a sign.
    const again = await p.page.evaluate((base) => {
      const w = window as unknown as { XIN_NODE: { init(u: string, c: object): boolean }; t: T };
      return w.XIN_NODE.init(`${base}?userid=44&username=x&source=demo&room_ids=room1&ext_info=`, {
        sys_error_callback: (err: string, d: { code: string; kind: string }) => w.t.errors.push([err, d.code, d.kind]),
      });
    }, relay.url);
    expect(again).toBe(true);
    await waitT(p.page, 't.errors.length === 2');
    expect((await t(p.page)).errors[1]).toEqual(['cilent connect sign can not be null!', 'SIGN_REQUIRED', 'handshake']);
    // send_msg on a closed session reports through sys_error_callback (the original alert()ed).
    await p.page.evaluate(() => (window as unknown as { XIN_NODE: { send_msg(d: unknown, r: string): boolean } }).XIN_NODE.send_msg('x', 'room1'));
    expect((await t(p.page)).errors).toHaveLength(3);
    expect(p.errors).toEqual([]);
  });

  it('with the server stopped, reconnect_attempt_failed_callback runs after max_attemptNumber attempts', async () => {
    const server = await startServer();
    extraServers.push(server);
    const p = await open(sdkPage('give-up.html', server, '55', 'room1', ', max_attemptNumber: 3, reconnection_delay: 50, reconnection_delay_max: 100'));
    await waitT(p.page, 't.connects === 1');
    await server.close();
    await waitT(p.page, 't.failed === 1');
    const seen = await t(p.page);
    expect(seen.attempts).toEqual([1, 2, 3]);
    expect(seen.disconnects).toBe(1);
    expect(await state(p.page)).toBe('closed');
  });

  it('messages sent during a brief reconnect arrive in order, and missed pushes are fetched', async () => {
    // No session recovery: the reconnect is a new session, as after an instance crash.
    const server = await startServer();
    extraServers.push(server);
    const hold = holdHandshakes(server);
    const config = ', reconnection_delay: 50, reconnection_delay_max: 100';
    const a = await open(sdkPage('reconnect-a.html', server, '61', 'order_room', config));
    const b = await open(sdkPage('reconnect-b.html', server, '62', 'order_room', config));
    await waitT(a.page, 't.connects === 1');
    await waitT(b.page, 't.connects === 1');

    // Cut both pages' connections (as a network drop does) and keep them out for a moment.
    hold.on = true;
    for (const socket of server.io.of('/').sockets.values()) socket.conn.close();
    await waitT(a.page, 't.disconnects === 1');
    await waitT(b.page, 't.disconnects === 1');
    const accepted = await a.page.evaluate(() =>
      [1, 2, 3, 4, 5].map((n) => (window as unknown as { XIN_NODE: { send_msg(d: unknown, r: string): boolean } }).XIN_NODE.send_msg(n, 'order_room')),
    );
    expect(accepted).toEqual([true, true, true, true, true]);
    for (const n of ['push 1', 'push 2']) expect((await postForm(server.url, signedNotify('order_room', n))).body.code).toBe(1);
    // At least: a page whose held attempt timed out under load tries again, adding one more.
    await until(() => hold.waiting() >= 2, 10_000, 'both pages trying to reconnect');
    hold.release();

    const expected = ['push 1', 'push 2', 1, 2, 3, 4, 5];
    await waitT(b.page, `t.received.length >= ${expected.length}`);
    await waitT(a.page, `t.received.length >= ${expected.length}`);
    expect((await t(b.page)).received).toEqual(expected);
    expect((await t(a.page)).received).toEqual(expected);
    expect((await t(a.page)).errors).toEqual([]);
  });
});
