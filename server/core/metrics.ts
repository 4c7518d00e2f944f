import { Counter, Gauge, Registry } from 'prom-client';
import type { ImServer } from './im-server';

/**
 * The Prometheus metrics of one server, in its own Registry (never prom-client's global one, so
 * several servers in one process — tests, benchmarks — never mix their numbers).
 */
export interface ServerMetrics {
  registry: Registry;
  /** im_messages_in_total{source}: messages accepted by this instance (notify, postMsg, log entries, system). */
  messagesIn: Counter<'source'>;
  /** im_messages_out_total{source}: room messages this instance sent into the cluster (one per room). */
  messagesOut: Counter<'source'>;
  /** im_messages_local_only_total{source}: room messages delivered to this instance only, because Redis was down. */
  messagesLocalOnly: Counter<'source'>;
  /** im_deliveries_total: `newMsg` packets written to this instance's sockets, whichever instance accepted them (one per socket per packet; counted by server/socket/layer.ts). */
  deliveries: Counter;
  /** im_history_requests_total{outcome}: hit (messages returned), empty, truncated (position older than what is kept). */
  historyRequests: Counter<'outcome'>;
  /** im_history_messages_total: messages handed out from room history. */
  historyMessages: Counter;
  /** im_adapter_errors_total{connection}: errors of the Redis connections (connection refused, timeouts, …). */
  adapterErrors: Counter<'connection'>;
  /** im_redis_up{connection}: 1 while that Redis connection is ready. */
  redisUp: Gauge<'connection'>;
  /**
   * im_bound_hits_total{bound,source}: a memory bound was reached, so data went (history
   * messages, presence users, page views) or a connection or stream was refused. One per item.
   */
  boundHits: Counter<'bound' | 'source'>;
  /**
   * im_slow_consumer_closes_total{source,budget}: connections whose transport was closed because
   * more than an output budget (`connection` or `total`) was waiting to be sent to them.
   */
  slowConsumerCloses: Counter<'source' | 'budget'>;
}

export function createMetrics(io: ImServer): ServerMetrics {
  const registry = new Registry();
  const registers = [registry];

  new Gauge({
    name: 'im_connections',
    help: 'Engine.IO connections open on this instance',
    registers,
    collect() {
      this.set(io.engine.clientsCount);
    },
  });
  new Gauge({
    name: 'im_sockets',
    help: 'Socket.IO sockets (signed clients and publish-only hooks) connected to this instance',
    registers,
    collect() {
      this.set(io.of('/').sockets.size);
    },
  });
  new Gauge({
    name: 'im_legacy_clients',
    help: 'Socket.IO sockets of Socket.IO 2 clients (Engine.IO protocol 3: the original node_im.min.js and debug hook) on this instance',
    registers,
    // Counted when scraped, not per connect/disconnect: nothing kept per connection.
    collect() {
      let n = 0;
      for (const socket of io.of('/').sockets.values()) if ((socket.conn as { protocol?: number }).protocol === 3) n++;
      this.set(n);
    },
  });
  new Gauge({
    name: 'im_rooms',
    help: 'Rooms with at least one member on this instance',
    registers,
    collect() {
      // Every socket also sits in a room named after its id; ours are "source:room".
      let n = 0;
      for (const key of io.of('/').adapter.rooms.keys()) if (key.includes(':')) n++;
      this.set(n);
    },
  });

  const deliveries = new Counter({ name: 'im_deliveries_total', help: 'newMsg packets written to sockets of this instance', registers });

  return {
    registry,
    messagesIn: new Counter({ name: 'im_messages_in_total', help: 'Messages accepted by this instance', labelNames: ['source'], registers }),
    messagesOut: new Counter({
      name: 'im_messages_out_total',
      help: 'Room messages sent into the cluster by this instance (one per room)',
      labelNames: ['source'],
      registers,
    }),
    messagesLocalOnly: new Counter({
      name: 'im_messages_local_only_total',
      help: 'Room messages delivered to this instance only because Redis was unavailable',
      labelNames: ['source'],
      registers,
    }),
    deliveries,
    historyRequests: new Counter({
      name: 'im_history_requests_total',
      help: 'Room history requests by outcome (hit, empty, truncated)',
      labelNames: ['outcome'],
      registers,
    }),
    historyMessages: new Counter({ name: 'im_history_messages_total', help: 'Messages handed out from room history', registers }),
    adapterErrors: new Counter({
      name: 'im_adapter_errors_total',
      help: 'Errors of the Redis connections used by the adapter and the stores',
      labelNames: ['connection'],
      registers,
    }),
    redisUp: new Gauge({
      name: 'im_redis_up',
      help: '1 while the Redis connection is ready',
      labelNames: ['connection'],
      registers,
      // --workers: 1 only when the connection is up in every worker.
      aggregator: 'min',
    }),
    slowConsumerCloses: new Counter({
      name: 'im_slow_consumer_closes_total',
      help: 'Connections closed because more than an output budget (connection, total) was queued to them (source, budget)',
      labelNames: ['source', 'budget'],
      registers,
    }),
    boundHits: new Counter({
      name: 'im_bound_hits_total',
      help: 'Items dropped or connections/streams refused because a memory bound was reached (bound, source)',
      labelNames: ['bound', 'source'],
      registers,
    }),
  };
}
