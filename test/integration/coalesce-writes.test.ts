import type { Socket as NetSocket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tcpOf, type Transport } from '../../server/engine';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { startServer, type TestServer } from '../helpers/start-server';
import { collectMessages } from '../helpers/wait-for';

/** The TCP socket under a client's websocket, on the server side. */
function serverTcp(server: TestServer, client: TestSocket): NetSocket {
  const socket = server.io.sockets.sockets.get(client.id!);
  const tcp = tcpOf((socket?.conn as unknown as { transport?: Transport } | undefined)?.transport);
  if (!tcp) throw new Error('no websocket TCP socket for the client');
  return tcp;
}

/** Counts the writes that reach the TCP socket (each is one system call). */
function countWrites(tcp: NetSocket): { readonly count: number; restore(): void } {
  const t = tcp as unknown as { _writev: (...a: unknown[]) => unknown; _write: (...a: unknown[]) => unknown };
  const { _writev, _write } = t;
  let count = 0;
  t._writev = (...a) => (count++, _writev.apply(tcp, a));
  t._write = (...a) => (count++, _write.apply(tcp, a));
  return {
    get count() {
      return count;
    },
    restore() {
      t._writev = _writev;
      t._write = _write;
    },
  };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('write coalescing', () => {
  let server: TestServer;
  let a: TestSocket;
  let b: TestSocket;

  beforeAll(async () => {
    server = await startServer();
    a = await connectClient(server.url, { roomIds: 'burst' });
    b = await connectClient(server.url, { roomIds: 'burst' });
  });
  afterAll(async () => {
    a?.close();
    b?.close();
    await server?.close();
  });

  it('delivers every message of a burst, in order, to every subscriber', async () => {
    const gotA = collectMessages(a, 300);
    const gotB = collectMessages(b, 300);
    for (let i = 0; i < 300; i++) server.io.to('demo:burst').emit('newMsg', { source: 'demo', data: `m${i}`, room_id: 'burst' });
    for (const got of [await gotA, await gotB]) expect(got.map((m) => m.data)).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`));
  });

  it('sends the messages of one turn in a few writes, not one per message', async () => {
    const tcp = serverTcp(server, a);
    const writes = countWrites(tcp);
    try {
      const got = collectMessages(a, 100);
      for (let i = 0; i < 100; i++) server.io.to('demo:burst').emit('newMsg', { source: 'demo', data: `w${i}`, room_id: 'burst' });
      await got;
      // The first packet under the turn's cork, then engine.io's queued batch under another.
      expect(writes.count).toBeLessThanOrEqual(4);
    } finally {
      writes.restore();
    }
  });

  it('leaves no socket corked after the turn', async () => {
    const tcp = serverTcp(server, b);
    const got = Promise.all([collectMessages(a, 5), collectMessages(b, 5)]);
    for (let i = 0; i < 5; i++) server.io.to('demo:burst').emit('newMsg', { source: 'demo', data: `c${i}`, room_id: 'burst' });
    expect(tcp.writableCorked).toBeGreaterThan(0);
    await nextTurn();
    expect(tcp.writableCorked).toBe(0);
    await got;
  });

  it('still answers acknowledged events and single messages at once', async () => {
    const got = collectMessages(a, 1);
    const ack = await a.timeout(2000).emitWithAck('postMsg', 'one', 'burst');
    expect(ack).toEqual({ ok: true });
    expect((await got)[0]!.data).toBe('one');
  });
});
