import type { Redis } from 'ioredis';
import type { PageViewRecord, PresenceConnection, SeenUser } from '../../packages/protocol';
import type { PresenceStore, PresenceStoreOptions, TickResult } from './presence-store';
import {
  ADD_SCRIPT,
  CLOSE_SCRIPT,
  CONNECTIONS_SCRIPT,
  PAGE_VIEW_SCRIPT,
  REMOVE_SCRIPT,
  RESYNC_SCRIPT,
  SEEN_SCRIPT,
  TICK_SCRIPT,
  UPDATE_SCRIPT,
  USER_COUNT_SCRIPT,
} from './redis-presence-scripts';

export interface RedisPresenceStoreOptions extends PresenceStoreOptions {
  redis: Redis;
  /** Key prefix (the adapter's `prefix`). */
  prefix: string;
}

/** A bound for a script: none is a number no count reaches. */
const bound = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? 2 ** 52 : n);

function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/**
 * Cluster-wide presence in Redis (scripts and key layout in redis-presence-scripts.ts).
 *
 * Each instance writes only its own records, under its own instance id, and keeps a copy in
 * memory: after a pause long enough for the others to sweep it, or after Redis lost its data,
 * the heartbeat notices and writes them back. Scripts go out as EVAL, not EVALSHA, so a
 * NOSCRIPT retry can never reorder an instance's add/remove of one connection.
 */
export function createRedisPresenceStore(opts: RedisPresenceStoreOptions): PresenceStore {
  const { redis, instanceId: self } = opts;
  const now = opts.now ?? Date.now;
  // Own records expire well after the instance would be declared dead, so a reader never
  // loses a live instance's users to a late heartbeat.
  const keepMs = opts.expiryMs * 4;
  const local = new Map<string, Map<string, PresenceConnection>>();
  const ticked = new Set<string>();
  const base = (source: string) => `${opts.prefix}:{presence:${source}}`;
  const run = (script: string, source: string, ...args: Array<string | number>) =>
    redis.eval(script, 1, `${base(source)}:inst`, base(source), self, ...args);

  function own(source: string): Map<string, PresenceConnection> {
    let m = local.get(source);
    if (!m) {
      m = new Map();
      local.set(source, m);
    }
    return m;
  }

  /** Writes this instance's records of a source back from memory. */
  async function resync(source: string): Promise<string[]> {
    const conns = [...own(source).values()];
    const users = new Map<string, { username: string; count: number }>();
    for (const c of conns) {
      const u = users.get(c.userid) ?? { username: c.username, count: 0 };
      u.count++;
      users.set(c.userid, u);
    }
    const args: Array<string | number> = [keepMs, conns.length];
    for (const c of conns) args.push(c.sid, JSON.stringify(c));
    for (const [userid, u] of users) args.push(userid, u.username, u.count);
    return (await run(RESYNC_SCRIPT, source, ...args)) as string[];
  }

  return {
    async add(c) {
      const m = own(c.source);
      m.set(c.sid, { ...c });
      const [connections, joined] = (await run(ADD_SCRIPT, c.source, c.sid, c.userid, c.username, JSON.stringify(c), keepMs)) as [number, number];
      return { connections, joined: joined === 1 };
    },
    async update(c) {
      const m = own(c.source);
      if (!m.has(c.sid)) return;
      m.set(c.sid, { ...c });
      await run(UPDATE_SCRIPT, c.source, c.sid, JSON.stringify(c));
    },
    async remove(source, sid, graceMs) {
      const m = own(source);
      const c = m.get(sid);
      if (!c) return undefined;
      m.delete(sid);
      const n = (await run(REMOVE_SCRIPT, source, sid, c.userid, graceMs)) as number;
      return { connections: Math.max(n, 0) };
    },
    async tick(sources, heartbeat = true) {
      const result: TickResult = { joins: [], leaves: [], deadInstances: [] };
      await Promise.all(
        sources.map(async (source) => {
          ticked.add(source);
          // Compared with what Redis held when the script ran: commands run in the order sent.
          const expected = own(source).size;
          const [alive, stored, dead, leaves] = (await run(TICK_SCRIPT, source, opts.expiryMs, keepMs, heartbeat ? 1 : 0)) as [
            number,
            number,
            string[],
            string[],
          ];
          for (const instance of dead) result.deadInstances.push({ source, instance });
          for (let i = 0; i + 1 < leaves.length; i += 2) result.leaves.push({ source, userid: leaves[i]!, username: leaves[i + 1]! });
          if (heartbeat && (alive === 0 || stored !== expected) && (expected > 0 || stored > 0)) {
            const byId = new Map([...own(source).values()].map((c) => [c.userid, c.username]));
            for (const userid of await resync(source)) result.joins.push({ source, userid, username: byId.get(userid) ?? userid });
          }
        }),
      );
      return result;
    },
    async connections(source) {
      const rows = (await run(CONNECTIONS_SCRIPT, source)) as string[];
      return rows.map((r) => parseJson<PresenceConnection>(r)).filter((c): c is PresenceConnection => c !== undefined);
    },
    async userConnections(source, userid) {
      return (await run(USER_COUNT_SCRIPT, source, userid)) as number;
    },
    async addPageView(source, view) {
      const { max, maxAgeMs, recent, maxPerSource } = opts.pageViews;
      if (max === 0) return;
      const [users, views] = (await run(
        PAGE_VIEW_SCRIPT,
        source,
        view.userid,
        JSON.stringify(view),
        max,
        maxAgeMs,
        recent,
        bound(maxPerSource),
        bound(opts.maxUsersPerSource),
        now(),
        `(${now() - maxAgeMs}`,
      )) as [number, number];
      if (users > 0) opts.onEvict?.('presence_users', source, users);
      if (views > 0) opts.onEvict?.('page_views', source, views);
    },
    async pageViews(source, userid, limit) {
      return readViews(`${base(source)}:pv:${userid}`, Math.min(limit, opts.pageViews.max));
    },
    async recentPageViews(source, limit) {
      return readViews(`${base(source)}:pvrecent`, Math.min(limit, opts.pageViews.recent));
    },
    async markSeen(source, date, userid, username) {
      const ttl = (opts.seenDays + 1) * 86_400;
      const gone = (await run(SEEN_SCRIPT, source, `${base(source)}:seen:${date}`, userid, username, now(), ttl, bound(opts.maxUsersPerSource))) as number;
      if (gone > 0) opts.onEvict?.('presence_users', source, gone);
    },
    async seen(source, date) {
      const rows = await redis.hvals(`${base(source)}:seen:${date}`);
      return rows
        .map((r) => parseJson<SeenUser>(r))
        .filter((u): u is SeenUser => u !== undefined)
        .sort((a, b) => a.first_seen - b.first_seen || a.userid.localeCompare(b.userid));
    },
    async close() {
      const sources = [...new Set([...local.keys(), ...ticked])];
      local.clear();
      ticked.clear();
      await Promise.all(sources.map((s) => run(CLOSE_SCRIPT, s)));
    },
  };

  async function readViews(key: string, limit: number): Promise<PageViewRecord[]> {
    if (limit <= 0) return [];
    const oldest = now() - opts.pageViews.maxAgeMs;
    const rows = await redis.lrange(key, 0, limit - 1);
    return rows
      .map((r) => parseJson<PageViewRecord>(r))
      .filter((v): v is PageViewRecord => v !== undefined && v.at >= oldest);
  }
}
