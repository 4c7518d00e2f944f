import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { createBaselineNotifyServer, serveBaseline } from '../lib/baseline-notify';

/**
 * The practical limit of this machine: a raw `ws` server that writes one pre-encoded frame
 * to every member of a room, the frames of one event-loop turn to a socket in one system call
 * (the same corking as server/engine/coalesce-writes.ts). It answers the Engine.IO open and namespace connect with fixed
 * packets so the same light client talks to every server; it sends no pings.
 */
const rooms = new Map<string, Set<WebSocket>>();
const corked = new Set<Socket>();
const uncorkAll = () => {
  for (const tcp of corked) tcp.uncork();
  corked.clear();
};

function send(ws: WebSocket, frame: Buffer): void {
  const tcp = (ws as unknown as { _socket?: Socket })._socket;
  if (tcp && !corked.has(tcp)) {
    if (corked.size === 0) setImmediate(uncorkAll);
    tcp.cork();
    corked.add(tcp);
  }
  ws.send(frame, { binary: false });
}

const httpServer = createBaselineNotifyServer((source, room, data) => {
  const members = rooms.get(`${source}:${room}`);
  if (!members) return;
  const frame = Buffer.from(`42${JSON.stringify(['newMsg', { source, data, room_id: room }])}`);
  for (const ws of members) send(ws, frame);
});

const wss = new WebSocketServer({ server: httpServer, perMessageDeflate: false });
wss.on('connection', (ws, req) => {
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const source = query.get('source') ?? '';
  const keys = (query.get('room_ids') ?? '').split(',').map((r) => `${source}:${r}`);
  ws.send('0{"sid":"raw","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}');
  ws.on('message', (msg: Buffer) => {
    if (msg.toString() !== '40') return;
    for (const key of keys) {
      let set = rooms.get(key);
      if (!set) rooms.set(key, (set = new Set()));
      set.add(ws);
    }
    ws.send('40{"sid":"raw"}');
  });
  ws.on('close', () => {
    for (const key of keys) rooms.get(key)?.delete(ws);
  });
});

await serveBaseline(
  httpServer,
  () => wss.clients.size,
  () => {
    for (const ws of wss.clients) ws.terminate();
    httpServer.close();
  },
);
