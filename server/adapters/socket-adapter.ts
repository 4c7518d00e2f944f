import { createAdapter as createClusterAdapter } from '@socket.io/cluster-adapter';
import { createAdapter as createPubSubAdapter } from '@socket.io/redis-adapter';
import { createAdapter as createStreamsAdapter } from '@socket.io/redis-streams-adapter';
import type { ImServer } from '../core/im-server';
import type { RedisAdapterConfig } from '../config/adapter';
import type { RedisClients } from './redis-clients';

/** How messages reach the other instances (/readyz `adapter`). */
export type AdapterKind = 'memory' | 'node-cluster' | 'redis-streams' | 'redis-pubsub';

/** Lets `--workers N` processes broadcast to each other through their primary (node:cluster IPC). */
export function installClusterAdapter(io: ImServer): AdapterKind {
  io.adapter(createClusterAdapter());
  return 'node-cluster';
}

/**
 * Installs the Redis adapter of `config.transport` on `io`, on the clients' `adapter`
 * connection (and its `subscriber` for pub/sub). Keys start with `<prefix>:sio`.
 */
export function installRedisAdapter(io: ImServer, config: RedisAdapterConfig, clients: RedisClients): AdapterKind {
  const key = `${config.prefix}:sio`;
  if (config.transport === 'streams') {
    io.adapter(
      createStreamsAdapter(clients.adapter, {
        streamName: key,
        channelPrefix: key,
        sessionKeyPrefix: `${key}:session:`,
        maxLen: config.streamMaxLen,
        // JSON messages only: skip the per-message binary scan.
        onlyPlaintext: true,
      }),
    );
    return 'redis-streams';
  }
  io.adapter(createPubSubAdapter(clients.adapter, clients.subscriber!, { key }));
  return 'redis-pubsub';
}
