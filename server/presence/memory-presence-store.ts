import type { PageViewRecord, PresenceConnection, SeenUser } from '../../packages/protocol';
import type { AddResult, PresenceStore, PresenceStoreOptions, TickResult } from './presence-store';

interface SourceState {
  connections: Map<string, PresenceConnection>;
  /** userid -> live connection count. */
  users: Map<string, number>;
  /** Users whose join was announced and whose leave was not yet: userid -> username. */
  announced: Map<string, string>;
  /** userid -> time its leave becomes due. */
  leaving: Map<string, number>;
  /** userid -> views, newest first; Map order is least recently viewing user first. */
  pageViews: Map<string, PageViewRecord[]>;
  /** Views in `pageViews`, all users together. */
  viewCount: number;
  recent: PageViewRecord[];
  /** date -> userid -> seen. */
  seen: Map<string, Map<string, SeenUser>>;
}

export interface MemoryPresenceStore extends PresenceStore {
  /**
   * Drops every connection an instance held (a `--workers` process that exited): its users'
   * leaves are due at once, and the next tick reports the instance as gone.
   */
  dropInstance(instance: string): void;
}

/**
 * Presence in one process: plain maps, bounded by count and age, trimmed on tick. Serves one
 * instance, or every `--workers` process through the primary (ipc-presence-store.ts).
 */
export function createMemoryPresenceStore(opts: PresenceStoreOptions): MemoryPresenceStore {
  const now = opts.now ?? Date.now;
  const sources = new Map<string, SourceState>();
  const dead: TickResult['deadInstances'] = [];

  function state(source: string): SourceState {
    let s = sources.get(source);
    if (!s) {
      s = {
        connections: new Map(),
        users: new Map(),
        announced: new Map(),
        leaving: new Map(),
        pageViews: new Map(),
        viewCount: 0,
        recent: [],
        seen: new Map(),
      };
      sources.set(source, s);
    }
    return s;
  }

  const fresh = (v: PageViewRecord) => v.at >= now() - opts.pageViews.maxAgeMs;
  const maxUsers = opts.maxUsersPerSource ?? Infinity;
  const maxViews = opts.pageViews.maxPerSource ?? Infinity;

  function trim(s: SourceState): void {
    for (const [userid, views] of s.pageViews) {
      const kept = views.filter(fresh);
      s.viewCount -= views.length - kept.length;
      if (kept.length === 0) s.pageViews.delete(userid);
      // In place: set() on a present key keeps its place in the Map's order.
      else if (kept.length !== views.length) s.pageViews.set(userid, kept);
    }
    s.recent = s.recent.filter(fresh);
    const oldest = new Date(now() - opts.seenDays * 86_400_000).toISOString().slice(0, 10);
    for (const date of s.seen.keys()) if (date < oldest) s.seen.delete(date);
  }

  function removeNow(s: SourceState, sid: string, graceMs: number): number | undefined {
    const c = s.connections.get(sid);
    if (!c) return undefined;
    s.connections.delete(sid);
    const n = (s.users.get(c.userid) ?? 1) - 1;
    if (n > 0) s.users.set(c.userid, n);
    else {
      s.users.delete(c.userid);
      if (s.announced.has(c.userid)) s.leaving.set(c.userid, now() + graceMs);
    }
    return Math.max(n, 0);
  }

  return {
    dropInstance(instance) {
      for (const [source, s] of sources) {
        const gone = [...s.connections.values()].filter((c) => c.instance === instance);
        for (const c of gone) removeNow(s, c.sid, 0);
        if (gone.length > 0) dead.push({ source, instance });
      }
    },
    async add(c) {
      const s = state(c.source);
      if (s.connections.has(c.sid)) return { connections: s.users.get(c.userid) ?? 0, joined: false };
      s.connections.set(c.sid, { ...c });
      const n = (s.users.get(c.userid) ?? 0) + 1;
      s.users.set(c.userid, n);
      s.leaving.delete(c.userid);
      const joined = !s.announced.has(c.userid);
      if (joined) s.announced.set(c.userid, c.username);
      return { connections: n, joined } satisfies AddResult;
    },
    async update(c) {
      const s = state(c.source);
      if (s.connections.has(c.sid)) s.connections.set(c.sid, { ...c });
    },
    async remove(source, sid, graceMs) {
      const n = removeNow(state(source), sid, graceMs);
      return n === undefined ? undefined : { connections: n };
    },
    async tick() {
      const result: TickResult = { joins: [], leaves: [], deadInstances: dead.splice(0) };
      const t = now();
      for (const [source, s] of sources) {
        for (const [userid, due] of s.leaving) {
          if (due > t) continue;
          s.leaving.delete(userid);
          const username = s.announced.get(userid);
          if (username !== undefined && !s.users.has(userid)) {
            s.announced.delete(userid);
            result.leaves.push({ source, userid, username });
          }
        }
        trim(s);
      }
      return result;
    },
    async connections(source) {
      return [...(sources.get(source)?.connections.values() ?? [])].map((c) => ({ ...c }));
    },
    async userConnections(source, userid) {
      return sources.get(source)?.users.get(userid) ?? 0;
    },
    async addPageView(source, view) {
      if (opts.pageViews.max === 0) return;
      const s = state(source);
      const list = s.pageViews.get(view.userid) ?? [];
      const before = list.length;
      list.unshift(view);
      if (list.length > opts.pageViews.max) list.length = opts.pageViews.max;
      s.viewCount += list.length - before;
      // Re-inserted last: the user who viewed least recently is first in line to go.
      s.pageViews.delete(view.userid);
      s.pageViews.set(view.userid, list);
      let users = 0;
      let views = 0;
      for (const [userid, old] of s.pageViews) {
        if (s.pageViews.size <= maxUsers && s.viewCount <= maxViews) break;
        if (userid === view.userid) break;
        s.pageViews.delete(userid);
        s.viewCount -= old.length;
        users++;
        views += old.length;
      }
      if (users > 0) {
        opts.onEvict?.('presence_users', source, users);
        if (views > 0) opts.onEvict?.('page_views', source, views);
      }
      s.recent.unshift(view);
      if (s.recent.length > opts.pageViews.recent) s.recent.length = opts.pageViews.recent;
    },
    async pageViews(source, userid, limit) {
      return (sources.get(source)?.pageViews.get(userid) ?? []).filter(fresh).slice(0, limit);
    },
    async recentPageViews(source, limit) {
      return (sources.get(source)?.recent ?? []).filter(fresh).slice(0, limit);
    },
    async markSeen(source, date, userid, username) {
      const s = state(source);
      let day = s.seen.get(date);
      if (!day) {
        day = new Map();
        s.seen.set(date, day);
      }
      const t = now();
      const prev = day.get(userid);
      // Re-inserted last: Map order is least recently seen first, the first to go past the bound.
      day.delete(userid);
      if (!prev && day.size >= maxUsers) {
        let n = 0;
        for (const old of day.keys()) {
          if (day.size < maxUsers) break;
          day.delete(old);
          n++;
        }
        if (n > 0) opts.onEvict?.('presence_users', source, n);
      }
      day.set(userid, {
        userid,
        username,
        first_seen: prev?.first_seen ?? t,
        last_seen: t,
        connections: (prev?.connections ?? 0) + 1,
      });
    },
    async seen(source, date) {
      return [...(sources.get(source)?.seen.get(date)?.values() ?? [])].sort((a, b) => a.first_seen - b.first_seen || a.userid.localeCompare(b.userid));
    },
    async close() {
      sources.clear();
    },
  };
}
