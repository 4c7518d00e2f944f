import type { PageViewRecord, PresenceConnection, SeenUser } from '../../packages/protocol';

/** What adding a connection changed for its user, cluster-wide. */
export interface AddResult {
  /** The user's live connections now, this one included. */
  connections: number;
  /** True when this is the user's first connection and no leave was pending: a join. */
  joined: boolean;
}

/** What a periodic tick found: leaves that came due, instances found dead. */
export interface TickResult {
  /** Users announced again after this instance wrote back records the cluster had dropped. */
  joins: Array<{ source: string; userid: string; username: string }>;
  leaves: Array<{ source: string; userid: string; username: string }>;
  deadInstances: Array<{ source: string; instance: string }>;
}

/** Why presence data went before its age said so (a metric label). */
export type PresenceEviction = 'presence_users' | 'page_views';

/** Retention settings every store honours. */
export interface PresenceStoreOptions {
  /** This process's id; a restart gets a new one, so it never touches what others keep. */
  instanceId: string;
  /** How long an instance counts as alive after its last heartbeat, in ms. */
  expiryMs: number;
  /** `maxPerSource`: page views of all users of a source together (none: no bound). */
  pageViews: { max: number; maxAgeMs: number; recent: number; maxPerSource?: number };
  /** Days of "users seen" kept. */
  seenDays: number;
  /** Users kept per source with page views, and per day of "seen" (none: no bound). */
  maxUsersPerSource?: number;
  /** Told how many users or page views went to a bound. */
  onEvict?: (bound: PresenceEviction, source: string, count: number) => void;
  now?: () => number;
}

/**
 * Who is online, per source: the live connections of every instance, the pending leaves of the
 * join/leave signals, recent page views and the users seen per day.
 *
 * One implementation per deployment: memory for one instance, Redis for a cluster. Both keep
 * the same rules; the contract test (test/integration/presence-store.test.ts) runs on both.
 */
export interface PresenceStore {
  /** Registers a connection of this instance. */
  add(connection: PresenceConnection): Promise<AddResult>;
  /** Rewrites a connection of this instance (its page or browser info changed). Unknown ids are ignored. */
  update(connection: PresenceConnection): Promise<void>;
  /**
   * Drops a connection of this instance. When it was the user's last live connection anywhere,
   * a leave becomes due `graceMs` later unless the user comes back first.
   * Returns the user's remaining connections, or undefined when the id was unknown.
   */
  remove(source: string, sid: string, graceMs: number): Promise<{ connections: number } | undefined>;
  /**
   * Heartbeat for `sources`, sweep of instances whose heartbeat expired, and the leaves that
   * came due. Every instance calls it periodically; each due leave is reported to one caller.
   */
  tick(sources: readonly string[], heartbeat?: boolean): Promise<TickResult>;
  /** Live connections of a source, every instance. */
  connections(source: string): Promise<PresenceConnection[]>;
  /** Live connections of one user, every instance. */
  userConnections(source: string, userid: string): Promise<number>;
  addPageView(source: string, view: PageViewRecord): Promise<void>;
  /** A user's recent page views, newest first. */
  pageViews(source: string, userid: string, limit: number): Promise<PageViewRecord[]>;
  /** A source's recent page views (any user), newest first. */
  recentPageViews(source: string, limit: number): Promise<PageViewRecord[]>;
  /** Notes that a user connected on `date` (YYYY-MM-DD, UTC). */
  markSeen(source: string, date: string, userid: string, username: string): Promise<void>;
  seen(source: string, date: string): Promise<SeenUser[]>;
  /** Graceful stop: this instance's connections leave the store (the others' stay untouched). */
  close(): Promise<void>;
}

/** The UTC day of a timestamp, as /api/today names it. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
