import { EventEmitter } from 'node:events';
import type { PageViewRecord, PresenceConnection, PresenceEvent, PresenceSignal, SeenUser } from '../../packages/protocol';
import type { ServerContext } from '../context';
import type { SocketLayer } from '../socket/layer';
import { summarize, type OnlineSummary } from './aggregate';
import { trackSockets } from './presence-sockets';
import type { PresenceStore, TickResult } from './presence-store';

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
  /** Stops ticking and waits for the store writes under way (the store stays open). */
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

/**
 * Online users, join/leave signals, browser info and page views for one server instance,
 * kept cluster-wide in the store (chosen in server/backends.ts: memory, Redis, or the primary's
 * over IPC). The store is closed by whoever made it, after close() here.
 */
export function createPresence(ctx: ServerContext, store: PresenceStore): Presence {
  const { config, logger } = ctx;
  const sources = Object.keys(config.sources);
  const listeners = new Map<string, Set<PresenceListener>>();
  const shutdownHooks = new Set<() => void>();
  const pending = new Set<Promise<unknown>>();
  const graceTimers = new Map<string, NodeJS.Timeout>();
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

  const register = trackSockets({ ctx, store, track, broadcast, signal, checkLeavesAfter });

  return {
    store,
    register,
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
    },
  };
}
