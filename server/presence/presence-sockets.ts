import type { z } from 'zod';
import {
  clientInfoSchema,
  ImError,
  pageViewSchema,
  type PageViewRecord,
  type PresenceConnection,
  type PresenceEvent,
  type PresenceSignal,
  zodMessage,
} from '../../packages/protocol';
import type { ServerContext } from '../context';
import type { ImSocket } from '../core/im-server';
import { guarded, splitAck } from '../socket/ack';
import type { SocketLayer } from '../socket/layer';
import { perSocketBuckets } from '../socket/rate-limit';
import { utcDate, type PresenceStore } from './presence-store';

/** Grace before a leave when a source has no `presence` config (leaves then reach only monitors). */
const DEFAULT_GRACE_MS = 5000;
/** clientInfo + pageView events per second one connection may send, and the burst (above the SDK's 20 queued views + info). */
const TRACKING_RATE = 5;
const TRACKING_BURST = 30;

/** What the per-connection part needs from presence (server/presence/presence.ts). */
export interface PresenceCore {
  ctx: ServerContext;
  store: PresenceStore;
  /** Counts a store write in what close() waits for. */
  track<T>(p: Promise<T>): Promise<T>;
  /** Tells the live monitors of every instance. */
  broadcast(event: PresenceEvent): void;
  /** A join or leave: to the monitors, and to the source's presence room when it has one. */
  signal(key: PresenceSignal['key'], source: string, userid: string, username: string): void;
  /** Looks for due leaves soon after `graceMs`. */
  checkLeavesAfter(source: string, graceMs: number): void;
}

/**
 * What one connection adds to presence: its record in the store (connect, clientInfo, pageView,
 * disconnect), in order per connection id. Returns `register`, which adds the clientInfo and
 * pageView events to the socket layer and tracks each new connection.
 */
export function trackSockets({ ctx, store, track, broadcast, signal, checkLeavesAfter }: PresenceCore): (layer: SocketLayer) => void {
  const { config, logger } = ctx;
  const chains = new Map<string, Promise<unknown>>();

  // Nothing per connection but what the store keeps: the handlers below are shared by every
  // socket (`this` is the socket); a connection's record is made from socket.data when it is
  // written, and the token bucket and browser/page info exist once a client sends them.
  const takeTracking = perSocketBuckets<ImSocket>(() => ({ rate: TRACKING_RATE, burst: TRACKING_BURST }), ctx.now);
  /** What clientInfo/pageView added to a connection's record (client, page), in the order they came. */
  const extras = new WeakMap<ImSocket, Pick<PresenceConnection, 'client' | 'page'>>();

  function recordOf(socket: ImSocket): PresenceConnection {
    const d = socket.data;
    return {
      sid: socket.id,
      instance: ctx.instanceId,
      source: d.source,
      userid: d.userid,
      username: d.username,
      ext_info: d.extInfo,
      // Never changed after the handshake: shared with socket.data, not copied.
      rooms: d.rooms,
      since: d.connectedAt,
      ...extras.get(socket),
    };
  }

  function extrasOf(socket: ImSocket): Pick<PresenceConnection, 'client' | 'page'> {
    let e = extras.get(socket);
    if (!e) {
      e = {};
      extras.set(socket, e);
    }
    return e;
  }

  // One connection id's store operations run in order (add, updates, remove), also across a
  // recovered session that comes back with the same id before its old remove has finished.
  function enqueue<T>(sid: string, fn: () => Promise<T>): Promise<T> {
    const p = (chains.get(sid) ?? Promise.resolve()).then(fn);
    const settled = track(p).catch(() => undefined);
    chains.set(sid, settled);
    void settled.then(() => {
      if (chains.get(sid) === settled) chains.delete(sid);
    });
    return p;
  }

  function limited(socket: ImSocket): void {
    if (!takeTracking(socket)) throw new ImError('RATE_LIMITED', `more than ${TRACKING_RATE} tracking events per second; slow down`);
  }

  // A hook connection is not a user: answer tracking events instead of leaving acks hanging.
  function refuseTracking(this: ImSocket, ...args: unknown[]): void {
    guarded(ctx, this, splitAck(args).ack, async () => {
      throw new ImError('FORBIDDEN', 'a publish-only hook connection has no presence');
    });
  }

  /** A tracking event's shared listener: rate-limited, payload checked, dropped once the socket is gone. */
  function trackingListener<T>(event: string, schema: z.ZodType<T>, apply: (socket: ImSocket, value: T) => Promise<void>) {
    return function (this: ImSocket, ...args: unknown[]): void {
      const socket = this;
      const { ack, values: [payload] } = splitAck(args);
      guarded(ctx, socket, ack, async () => {
        limited(socket);
        const parsed = schema.safeParse(payload);
        if (!parsed.success) throw new ImError('INVALID_PARAMETER', `${event}: ${zodMessage(parsed.error)}`);
        if (socket.connected) await apply(socket, parsed.data);
      });
    };
  }

  const onClientInfo = trackingListener('clientInfo', clientInfoSchema, async (socket, info) => {
    const e = extrasOf(socket);
    e.client = info;
    e.page ??= { url: info.url, title: info.title, at: ctx.now() };
    const snapshot = recordOf(socket);
    await enqueue(snapshot.sid, () => store.update(snapshot));
    broadcast({ type: 'update', source: snapshot.source, connection: snapshot });
  });

  const onPageView = trackingListener('pageView', pageViewSchema, async (socket, view) => {
    const at = ctx.now();
    const { source, userid } = socket.data;
    const stored: PageViewRecord = { ...view, userid, at };
    extrasOf(socket).page = { url: view.url, title: view.title, at };
    const snapshot = recordOf(socket);
    await enqueue(snapshot.sid, async () => {
      await store.update(snapshot);
      await store.addPageView(source, stored);
    });
    broadcast({ type: 'pageview', source, view: stored, sid: snapshot.sid });
  });

  function onDisconnect(this: ImSocket): void {
    const { id: sid } = this;
    const { source, userid } = this.data;
    const grace = config.sources[source]?.presence?.graceMs ?? DEFAULT_GRACE_MS;
    enqueue(sid, async () => {
      const removed = await store.remove(source, sid, grace);
      broadcast({ type: 'disconnect', source, sid, userid, instance: ctx.instanceId, at: ctx.now() });
      if (removed?.connections === 0) checkLeavesAfter(source, grace);
    }).catch((err: unknown) => logger.error({ err, source }, 'presence: removing a connection failed'));
  }

  function attach(socket: ImSocket): void {
    if (socket.data.publishRooms) return;
    const record = recordOf(socket);
    const { source } = record;
    enqueue(record.sid, async () => {
      const added = await store.add({ ...record });
      broadcast({ type: 'connect', source, connection: { ...record } });
      if (added.joined) signal('user_join', source, record.userid, record.username);
      await store.markSeen(source, utcDate(ctx.now()), record.userid, record.username);
    }).catch((err: unknown) => logger.error({ err, source }, 'presence: registering a connection failed'));

    socket.on('disconnect', onDisconnect);
  }

  return (layer) => {
    layer.define('clientInfo', (socket) => (socket.data.publishRooms ? refuseTracking : onClientInfo));
    layer.define('pageView', (socket) => (socket.data.publishRooms ? refuseTracking : onPageView));
    layer.onConnection(attach);
  };

}
