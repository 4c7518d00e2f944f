import { z } from 'zod';
import { ROOM_ID_PATTERN } from '../../packages/protocol';

/**
 * Per source, opt-in: publish `user_join` / `user_leave` to `room` when a user's first
 * connection opens and when the last one closes. A reload (close then open within `graceMs`)
 * is neither a leave nor a join.
 */
export const sourcePresenceSchema = z
  .object({
    room: z.string().min(1).max(128).regex(ROOM_ID_PATTERN, 'presence.room has characters a room id may not hold'),
    graceMs: z.number().int().min(0).max(600_000).default(5000),
  })
  .strict();
export type SourcePresenceConfig = z.infer<typeof sourcePresenceSchema>;

const PRESENCE_DEFAULTS = {
  heartbeatMs: 5000,
  expiryMs: 15_000,
  pageViews: { max: 50, maxAgeSeconds: 86_400, recent: 200, maxPerSource: 5000 },
  seenDays: 7,
  listLimit: 10_000,
  maxUsersPerSource: 5000,
  monitor: { maxStreams: 200, maxStreamsPerSource: 50 },
};

/**
 * Cluster-wide presence. Each instance refreshes its heartbeat every `heartbeatMs`; readers
 * ignore an instance whose last heartbeat is older than `expiryMs`, so the users of a dead
 * instance disappear at most `expiryMs` after it died.
 */
export const presenceSchema = z
  .object({
    heartbeatMs: z.number().int().min(50).max(60_000).default(PRESENCE_DEFAULTS.heartbeatMs),
    expiryMs: z.number().int().min(150).max(600_000).default(PRESENCE_DEFAULTS.expiryMs),
    pageViews: z
      .object({
        /** Page views kept per user. */
        max: z.number().int().min(0).max(1000).default(PRESENCE_DEFAULTS.pageViews.max),
        /** None older than this. */
        maxAgeSeconds: z.number().int().positive().default(PRESENCE_DEFAULTS.pageViews.maxAgeSeconds),
        /** Page views kept per source for the live monitor. */
        recent: z.number().int().min(0).max(5000).default(PRESENCE_DEFAULTS.pageViews.recent),
        /** Page views kept per source, all users together; past it the least recently active users' views go. */
        maxPerSource: z.number().int().min(1).max(10_000_000).default(PRESENCE_DEFAULTS.pageViews.maxPerSource),
      })
      .strict()
      .default(PRESENCE_DEFAULTS.pageViews),
    /** Days of "users seen" kept for /api/today. */
    seenDays: z.number().int().min(1).max(366).default(PRESENCE_DEFAULTS.seenDays),
    /**
     * Users remembered per source: with page views, and in each day of "seen" (the userid of a
     * legacy sign is not signed, so a client can make up any number). Past it the least
     * recently seen go; live connections are bounded by the connection caps instead.
     */
    maxUsersPerSource: z.number().int().min(1).max(10_000_000).default(PRESENCE_DEFAULTS.maxUsersPerSource),
    /** Live /monitor streams (server-sent events) one instance serves: all together, and per source. */
    monitor: z
      .object({
        maxStreams: z.number().int().min(1).max(100_000).default(PRESENCE_DEFAULTS.monitor.maxStreams),
        maxStreamsPerSource: z.number().int().min(1).max(100_000).default(PRESENCE_DEFAULTS.monitor.maxStreamsPerSource),
      })
      .strict()
      .default(PRESENCE_DEFAULTS.monitor),
    /** Most users one read-out lists. */
    listLimit: z.number().int().min(1).max(100_000).default(PRESENCE_DEFAULTS.listLimit),
  })
  .strict()
  .refine((p) => p.expiryMs >= 2 * p.heartbeatMs, {
    message: 'presence.expiryMs must be at least twice presence.heartbeatMs (one late heartbeat must not look like a death)',
    path: ['expiryMs'],
  })
  .default(PRESENCE_DEFAULTS);
export type PresenceConfig = z.infer<typeof presenceSchema>;

/** The store options every presence store takes from the config (memory, Redis, the primary's for workers). */
export function presenceStoreLimits(presence: PresenceConfig) {
  return {
    expiryMs: presence.expiryMs,
    pageViews: {
      max: presence.pageViews.max,
      maxAgeMs: presence.pageViews.maxAgeSeconds * 1000,
      recent: presence.pageViews.recent,
      maxPerSource: presence.pageViews.maxPerSource,
    },
    seenDays: presence.seenDays,
    maxUsersPerSource: presence.maxUsersPerSource,
  };
}
