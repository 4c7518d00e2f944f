import { createServer } from 'node:http';
import express from 'express';
import { Server } from 'socket.io';
import { legacyNotifySign, signsEqual } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { NOTIFY_OK as OK, notifyFormHandler, serveBaseline } from '../lib/baseline-notify';

/**
 * The push baselines of bench/parts/push.ts: POST /api/notify that parses the form body, checks
 * the contract's md5 sign and emits `newMsg` to each room, nothing else (no history, limits,
 * logging, headers). BENCH_NOTIFY_STACK=express: an Express 5 route behind express.urlencoded;
 * otherwise a bare node `http` handler. Both hold a Socket.IO server whose clients join the
 * rooms in their query, and take `postLogs(entries, room_ids, ack)`: one `newMsg` per entry and
 * room, then the ack (the hook-ingestion baseline).
 */
const stack = process.env.BENCH_NOTIFY_STACK === 'express' ? 'express' : 'http';
const keys: Record<string, string> = Object.fromEntries(Object.entries(DEMO_SOURCES).map(([s, c]) => [s, c.signKey]));
const BAD = '{"code":0,"msg":"api notify sign verify failed!","data":""}';

function push(fields: Record<string, unknown>): boolean {
  const source = String(fields.source ?? '');
  const roomId = String(fields.room_id ?? '');
  const data = String(fields.data ?? '');
  const key = keys[source];
  if (!key || !signsEqual(legacyNotifySign(source, roomId, data, key), String(fields.sign ?? ''))) return false;
  for (const room of roomId.split(',')) io.to(`${source}:${room}`).emit('newMsg', { source, data, room_id: room });
  return true;
}

const bareHandler = notifyFormHandler((form, res) => {
  const ok = push(Object.fromEntries(form));
  res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(ok ? OK : BAD);
});

function expressApp(): express.Express {
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.post('/api/notify', (req, res) => {
    const ok = push((req.body ?? {}) as Record<string, unknown>);
    res.status(ok ? 200 : 401).type('application/json').send(ok ? OK : BAD);
  });
  return app;
}

const httpServer = createServer(stack === 'express' ? expressApp() : bareHandler);
const io = new Server(httpServer, { serveClient: false });
io.on('connection', (socket) => {
  const source = String(socket.handshake.query.source ?? '');
  const rooms = String(socket.handshake.query.room_ids ?? '').split(',');
  if (socket.handshake.query.role !== 'publisher') socket.join(rooms.map((r) => `${source}:${r}`));
  socket.on('postLogs', (entries: unknown, roomIds: unknown, ack?: (r: unknown) => void) => {
    const list = Array.isArray(entries) ? entries : [];
    for (const entry of list) for (const room of String(roomIds).split(',')) io.to(`${source}:${room}`).emit('newMsg', { source, data: entry, room_id: room });
    ack?.({ ok: true });
  });
});

await serveBaseline(
  httpServer,
  () => io.engine.clientsCount,
  () => new Promise<void>((resolve) => io.close(() => resolve())),
);
