import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { createBaselineNotifyServer, serveBaseline } from '../lib/baseline-notify';

/**
 * The baseline: the least a Socket.IO relay can do. Clients join the rooms named in their
 * query; POST /api/notify reads the form body and calls io.to(room).emit. No sign checks, no
 * validation, no logging, no history. With BENCH_REDIS_URL it uses @socket.io/redis-adapter,
 * the cross-instance baseline.
 */
const httpServer = createBaselineNotifyServer((source, room, data) => {
  io.to(`${source}:${room}`).emit('newMsg', { source, data, room_id: room });
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

await serveBaseline(
  httpServer,
  () => io.engine.clientsCount,
  async () => {
    await new Promise<void>((resolve) => io.close(() => resolve()));
    for (const r of redis) r.disconnect();
  },
);
