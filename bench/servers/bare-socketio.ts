import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { serveCommands, settledMemory } from '../lib/ipc';

/**
 * The baseline: the least a Socket.IO relay can do. Clients join the rooms named in their
 * query; POST /api/notify reads the form body and calls io.to(room).emit. No sign checks, no
 * validation, no logging, no history. With BENCH_REDIS_URL it uses @socket.io/redis-adapter,
 * the cross-instance baseline.
 */
const httpServer = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/api/notify') {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const source = form.get('source') ?? '';
    const data = form.get('data') ?? '';
    for (const room of (form.get('room_id') ?? '').split(',')) {
      io.to(`${source}:${room}`).emit('newMsg', { source, data, room_id: room });
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":1,"msg":"message notify successed!","data":""}');
  });
});

const io = new Server(httpServer, { serveClient: false });
const redisUrl = process.env.BENCH_REDIS_URL;
const redis = redisUrl ? [new Redis(redisUrl), new Redis(redisUrl)] : [];
if (redis.length === 2) {
  io.adapter(createAdapter(redis[0]!, redis[1]!, { key: process.env.BENCH_REDIS_PREFIX ?? 'bench-bare' }));
}
io.on('connection', (socket) => {
  const source = String(socket.handshake.query.source ?? '');
  const rooms = String(socket.handshake.query.room_ids ?? '').split(',');
  socket.join(rooms.map((r) => `${source}:${r}`));
});

await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
const addr = httpServer.address();
const port = typeof addr === 'object' && addr ? addr.port : 0;

serveCommands(
  {
    mem: () => settledMemory(),
    cpu: () => process.cpuUsage(),
    stats: () => ({ connections: io.engine.clientsCount }),
  },
  { port, pid: process.pid },
  async () => {
    await new Promise<void>((resolve) => io.close(() => resolve()));
    for (const r of redis) r.disconnect();
  },
);
