import { EventEmitter } from 'node:events';
import type { z } from 'zod';
import {
  clientInfoSchema,
  ImError,
  pageViewSchema,
  type PageViewRecord,
  type PresenceConnection,
  type PresenceEvent,
  type PresenceSignal,
  type SeenUser,
  zodMessage,
} from '../../packages/protocol';
import { redisKeyPrefix } from '../cluster/cluster-config';
import type { ServerContext } from '../context';
import type { ImSocket } from '../im-server';
import { guarded, splitAck } from '../socket/ack';
import type { SocketLayer } from '../socket/layer';
import { TokenBucket } from '../socket/rate-limit';
import { summarize, type OnlineSummary } from './aggregate';
import { createMemoryPresenceStore } from './memory-presence-store';
import { presenceStoreLimits } from './presence-config';
import { utcDate, type PresenceEviction, type PresenceStore, type TickResult } from './presence-store';
import { createRedisPresenceStore } from './redis-presence-store';

/** Grace before a leave when a source has no `presence` config (leaves then reach only monitors). */
const DEFAULT_GRACE_MS = 5000;
/** clientInfo + pageView events per second one connection may send, and the burst (above the SDK's 20 queued views + info). */
const TRACKING_RATE = 5;
const TRACKING_BURST = 30;

export type PresenceListener = (event: PresenceEvent) => void;

export interface Presence {
  readonly store: PresenceStore;
  /**
   * Adds the presence events (clientInfo, pageView) to the socket layer, and tracks each new
   * connection (publish-only hook connections are not users and are skipped).
   */
  register(layer: SocketLayer): void;
  online(source: string, room?: string): Promise<OnlineSummary>;
  today(source: string, date: string): Promise<SeenUser[]>;
  pageViews(source: string, userid: string, limit?: number): Promise<PageViewRecord[]>;
  /** What a live monitor starts from: every live connection and the recent page views. */
  snapshot(source: string): Promise<{ connections: PresenceConnection[]; pageViews: PageViewRecord[] }>;
  /** Live changes of one source, from every instance. Returns the unsubscribe. */
  subscribe(source: string, listener: PresenceListener): () => void;
  /** Registers something to end when the server starts shutting down (a live stream). */
  onShutdown(end: () => void): () => void;
  /** Ends live streams: called first thing on shutdown, so HTTP can drain. */
  endStreams(): void;
  /** Heartbeat, dead-instance sweep and due leaves, now (also runs every heartbeatMs). */
  tick(): Promise<void>;
  close(): Promise<void>;
}

/** True when the adapter passes serverSideEmit to other instances (the in-memory one only warns). */
function adapterBroadcasts(ctx: ServerContext): boolean {
  const adapter = ctx.io.of('/').adapter as unknown as { serverSideEmit?: unknown };
  let root: { serverSideEmit?: unknown } | undefined;
  for (let p = Object.getPrototypeOf(adapter); p && p !== EventEmitter.prototype && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, 'serverSideEmit')) root = p;
  }
  return typeof adapter.serverSideEmit === 'function' && adapter.serverSideEmit !== root?.serverSideEmit;
}

export function createPresenceStore(ctx: ServerContext): PresenceStore {
  const options = {
    instanceId: ctx.instanceId,
    ...presenceStoreLimits(ctx.config.presence),
    onEvict: (bound: PresenceEviction, source: string, n: number) => ctx.metrics?.boundHits.inc({ bound, source }, n),
    now: ctx.now,
  };
  if (ctx.redis) {
    return createRedisPresenceStore({ ...options, redis: ctx.redis, prefix: redisKeyPrefix(ctx.config.adapter) });
  }
  return createMemoryPresenceStore(options);
}

/**
 * Online users, join/leave signals, browser info and page views for one server instance,
 * kept cluster-wide in the store (Redis when ctx.redis is set).
 */
export function createPresence(ctx: ServerContext, store: PresenceStore = createPresenceStore(ctx)): Presence {
  const { config, logger } = ctx;
  const sources = Object.keys(config.sources);
  const listeners = new Map<string, Set<PresenceListener>>();
  const shutdownHooks = new Set<() => void>();
  const pending = new Set<Promise<unknown>>();
  const graceTimers = new Map<string, NodeJS.Timeout>();
  const chains = new Map<string, Promise<unknown>>();
  let ticking: Promise<void> | undefined;
  let heartbeatQueued = false;
  let closed = false;

  function track<T>(p: Promise<T>): Promise<T> {
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    pending.add(settled);
    void settled.then(() => pending.delete(settled));
    return p;
  }

  function emitLocal(event: PresenceEvent): void {
    for (const listener of listeners.get(event.source) ?? []) {
      try {
        listener(event);
      } catch (err) {
        logger.warn({ err }, 'presence listener failed');
      }
    }
  }

  function broadcast(event: PresenceEvent): void {
    emitLocal(event);
    if (adapterBroadcasts(ctx)) ctx.io.serverSideEmit('presence', event);
  }
  ctx.io.on('presence', (event: PresenceEvent) => {
    if (event && typeof event === 'object' && typeof event.source === 'string') emitLocal(event);
  });

  function signal(key: PresenceSignal['key'], source: string, userid: string, username: string): void {
    const at = ctx.now();
    broadcast({ type: key === 'user_join' ? 'join' : 'leave', source, userid, username, at });
    const room = config.sources[source]?.presence?.room;
    if (!room) return;
    const data: PresenceSignal = { key, userid, username, ts: at };
    track(ctx.relay.publish(source, [room], data)).catch((err: unknown) => logger.error({ err, source, key }, 'presence signal failed'));
  }

  function handleTick(result: TickResult): void {
    for (const j of result.joins) signal('user_join', j.source, j.userid, j.username);
    for (const l of result.leaves) signal('user_leave', l.source, l.userid, l.username);
    for (const d of result.deadInstances) {
      logger.warn({ source: d.source, instance: d.instance }, 'presence: instance stopped heartbeating; its users are gone');
      broadcast({ type: 'instance_down', source: d.source, instance: d.instance, at: ctx.now() });
    }
  }

  function runTick(heartbeat: boolean, which: readonly string[] = sources): Promise<void> {
    // A grace check rides along with a tick already running; a heartbeat queues behind it
    // (once: a heartbeat that is already waiting covers this one too).
    if (ticking && (!heartbeat || heartbeatQueued)) return ticking;
    if (heartbeat) heartbeatQueued = true;
    const next: Promise<void> = (ticking ?? Promise.resolve())
      .then(() => {
        if (heartbeat) heartbeatQueued = false;
        return store.tick(which, heartbeat);
      })
      .then(handleTick, (err: unknown) => logger.warn({ err }, 'presence tick failed (will retry)'))
      .finally(() => {
        if (ticking === next) ticking = undefined;
      });
    ticking = next;
    track(next);
    return next;
  }

  /** Checks for due leaves soon after a grace period ends, not only at the next heartbeat. */
  function checkLeavesAfter(source: string, graceMs: number): void {
    const key = `${source}:${Math.ceil((ctx.now() + graceMs) / 100)}`;
    if (graceTimers.has(key) || closed) return;
    const timer = setTimeout(() => {
      graceTimers.delete(key);
      void runTick(false, [source]);
    }, graceMs + 25);
    timer.unref();
    graceTimers.set(key, timer);
  }

  const interval = setInterval(() => void runTick(true), config.presence.heartbeatMs);
  interval.unref();
  // The first heartbeat goes out before any connection can be registered.
  void runTick(true);

  // Nothing per connection but what the store keeps: the handlers below are shared by every
  // socket (`this` is the socket); a connection's record is made from socket.data when it is
  // written, and the token bucket and browser/page info exist once a client sends them.
  const buckets = new WeakMap<ImSocket, TokenBucket>();
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
    let bucket = buckets.get(socket);
    if (!bucket) {
      bucket = new TokenBucket(TRACKING_RATE, TRACKING_BURST, ctx.now);
      buckets.set(socket, bucket);
    }
    if (!bucket.take()) throw new ImError('RATE_LIMITED', `more than ${TRACKING_RATE} tracking events per second; slow down`);
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

  return {
    store,
    register(layer) {
      layer.define('clientInfo', (socket) => (socket.data.publishRooms ? refuseTracking : onClientInfo));
      layer.define('pageView', (socket) => (socket.data.publishRooms ? refuseTracking : onPageView));
      layer.onConnection(attach);
    },
    async online(source, room) {
      return summarize(await store.connections(source), room, config.presence.listLimit);
    },
    today: (source, date) => store.seen(source, date),
    pageViews: (source, userid, limit = config.presence.pageViews.max) => store.pageViews(source, userid, limit),
    async snapshot(source) {
      const [connections, pageViews] = await Promise.all([
        store.connections(source),
        store.recentPageViews(source, config.presence.pageViews.recent),
      ]);
      return { connections, pageViews };
    },
    subscribe(source, listener) {
      let set = listeners.get(source);
      if (!set) {
        set = new Set();
        listeners.set(source, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(source);
      };
    },
    onShutdown(end) {
      shutdownHooks.add(end);
      return () => shutdownHooks.delete(end);
    },
    endStreams() {
      for (const end of [...shutdownHooks]) end();
      shutdownHooks.clear();
    },
    tick: () => runTick(true),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(interval);
      for (const t of graceTimers.values()) clearTimeout(t);
      graceTimers.clear();
      // Disconnects of the closing sockets are still being written: let them finish first.
      while (pending.size > 0) await Promise.all([...pending]);
      await store.close().catch((err: unknown) => logger.warn({ err }, 'presence: closing the store failed'));
    },
  };
}
