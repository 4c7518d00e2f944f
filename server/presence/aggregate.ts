import type { OnlineUser, PresenceConnection } from '../../packages/protocol';

export interface RoomCount {
  users: number;
  connections: number;
}

export interface OnlineSummary {
  users: number;
  connections: number;
  rooms: Record<string, RoomCount>;
  list: OnlineUser[];
  /** True when `list` was cut at the limit (the counts are still complete). */
  truncated: boolean;
}

/**
 * Folds live connections into users: one user with three tabs is one user with three
 * connections. With `room`, only connections that joined it count. Oldest user first.
 */
export function summarize(connections: readonly PresenceConnection[], room?: string, limit = Infinity): OnlineSummary {
  const users = new Map<string, OnlineUser>();
  const rooms = new Map<string, { users: Set<string>; connections: number }>();
  let total = 0;
  // Oldest first, so the "most recent" page and browser info win by being written last.
  const sorted = [...connections].sort((a, b) => a.since - b.since || a.sid.localeCompare(b.sid));
  for (const c of sorted) {
    if (room !== undefined && !c.rooms.includes(room)) continue;
    total++;
    let u = users.get(c.userid);
    if (!u) {
      u = { userid: c.userid, username: c.username, ext_info: c.ext_info, since: c.since, connections: 0, rooms: [] };
      users.set(c.userid, u);
    }
    u.connections++;
    u.username = c.username;
    if (c.ext_info) u.ext_info = c.ext_info;
    for (const r of c.rooms) if (!u.rooms.includes(r)) u.rooms.push(r);
    if (c.page && (!u.page || c.page.at >= u.page.at)) u.page = c.page;
    if (c.client) u.client = c.client;
    for (const r of c.rooms) {
      let rc = rooms.get(r);
      if (!rc) {
        rc = { users: new Set(), connections: 0 };
        rooms.set(r, rc);
      }
      rc.users.add(c.userid);
      rc.connections++;
    }
  }
  const roomCounts: Record<string, RoomCount> = {};
  for (const [r, rc] of [...rooms].sort(([a], [b]) => a.localeCompare(b))) {
    if (room !== undefined && r !== room) continue;
    roomCounts[r] = { users: rc.users.size, connections: rc.connections };
  }
  const list = [...users.values()];
  return {
    users: list.length,
    connections: total,
    rooms: roomCounts,
    list: list.slice(0, limit),
    truncated: list.length > limit,
  };
}
