/**
 * Lua scripts of the Redis presence store. They run atomically, so two instances that see the
 * same user connect (or leave) at the same moment can never both announce it, and they read
 * Redis's own clock, so instances with skewed clocks agree on who is alive.
 *
 * Keys, per source, all under one hash tag so a source lives in one slot:
 *   B = <prefix>:{presence:<source>}
 *   B:inst            zset  instance id -> deadline (last heartbeat + expiry, Redis ms)
 *   B:conns:<inst>    hash  socket id -> connection JSON   (expires with the instance)
 *   B:users:<inst>    hash  userid -> live connection count on that instance
 *   B:announced       hash  userid -> username: a join was published, its leave not yet
 *   B:leaving         zset  userid -> time its leave becomes due (grace)
 *   B:pv:<userid>     list  page views, newest first;  B:pvrecent: the source's, newest first
 *   B:seen:<date>     hash  userid -> {username, first_seen, last_seen, connections}
 * ARGV[1] is always B and ARGV[2] this instance's id.
 */
const PRELUDE = `
local base, self = ARGV[1], ARGV[2]
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Live instances other than this one (this one always counts: it is the caller).
local function others(now)
  local out = {}
  for _, i in ipairs(redis.call('ZRANGEBYSCORE', base .. ':inst', now, '+inf')) do
    if i ~= self then out[#out + 1] = i end
  end
  return out
end
local function total(live, userid)
  local n = tonumber(redis.call('HGET', base .. ':users:' .. self, userid) or '0')
  for _, i in ipairs(live) do
    n = n + tonumber(redis.call('HGET', base .. ':users:' .. i, userid) or '0')
  end
  return n
end
`;

/** ARGV: base, self, sid, userid, username, record JSON, keepMs. Returns {connections, joined 0|1}. */
export const ADD_SCRIPT = `${PRELUDE}
local sid, userid = ARGV[3], ARGV[4]
local conns, users = base .. ':conns:' .. self, base .. ':users:' .. self
local now = clock()
if redis.call('HSET', conns, sid, ARGV[6]) == 0 then
  return {total(others(now), userid), 0}
end
redis.call('PEXPIRE', conns, ARGV[7])
redis.call('HINCRBY', users, userid, 1)
redis.call('PEXPIRE', users, ARGV[7])
redis.call('ZREM', base .. ':leaving', userid)
local n = total(others(now), userid)
local joined = redis.call('HSETNX', base .. ':announced', userid, ARGV[5])
return {n, joined}
`;

/** ARGV: base, self, sid, record JSON. Rewrites a known connection only. */
export const UPDATE_SCRIPT = `${PRELUDE}
local conns = base .. ':conns:' .. self
if redis.call('HEXISTS', conns, ARGV[3]) == 1 then redis.call('HSET', conns, ARGV[3], ARGV[4]) end
return 1
`;

/** ARGV: base, self, sid, userid, graceMs. Returns the user's remaining connections, -1 if unknown. */
export const REMOVE_SCRIPT = `${PRELUDE}
local sid, userid = ARGV[3], ARGV[4]
local users = base .. ':users:' .. self
if redis.call('HDEL', base .. ':conns:' .. self, sid) == 0 then return -1 end
if redis.call('HINCRBY', users, userid, -1) <= 0 then redis.call('HDEL', users, userid) end
local now = clock()
local n = total(others(now), userid)
if n == 0 and redis.call('HEXISTS', base .. ':announced', userid) == 1 then
  redis.call('ZADD', base .. ':leaving', now + tonumber(ARGV[5]), userid)
end
return n
`;

/**
 * ARGV: base, self, expiryMs, keepMs, heartbeat 0|1.
 * Heartbeat, then sweep instances whose deadline passed (never this one), then the due leaves.
 * Returns {wasAlive 0|1, own connection count in Redis, {dead ids}, {userid, username, ...}}.
 */
export const TICK_SCRIPT = `${PRELUDE}
local instKey, leaving, announced = base .. ':inst', base .. ':leaving', base .. ':announced'
local conns, users = base .. ':conns:' .. self, base .. ':users:' .. self
local now = clock()
local alive, own = 1, 0
if ARGV[5] == '1' then
  local prev = redis.call('ZSCORE', instKey, self)
  if (not prev) or tonumber(prev) < now then alive = 0 end
  redis.call('ZADD', instKey, now + tonumber(ARGV[3]), self)
  redis.call('PEXPIRE', conns, ARGV[4])
  redis.call('PEXPIRE', users, ARGV[4])
  own = redis.call('HLEN', conns)
  -- The source-wide keys outlive any single instance, not an outage of the whole cluster.
  for _, k in ipairs({instKey, leaving, announced}) do redis.call('PEXPIRE', k, 604800000) end
end
local dead = {}
for _, d in ipairs(redis.call('ZRANGEBYSCORE', instKey, '-inf', '(' .. now)) do
  if d ~= self then
    redis.call('ZREM', instKey, d)
    redis.call('DEL', base .. ':conns:' .. d, base .. ':users:' .. d)
    dead[#dead + 1] = d
  end
end
local live = others(now)
if #dead > 0 then
  -- Users who had connections only on the dead instances: their leave is due now.
  for _, u in ipairs(redis.call('HKEYS', announced)) do
    if total(live, u) == 0 and not redis.call('ZSCORE', leaving, u) then redis.call('ZADD', leaving, now, u) end
  end
end
local leaves = {}
for _, u in ipairs(redis.call('ZRANGEBYSCORE', leaving, '-inf', now)) do
  redis.call('ZREM', leaving, u)
  if total(live, u) == 0 then
    local name = redis.call('HGET', announced, u)
    if name then
      redis.call('HDEL', announced, u)
      leaves[#leaves + 1] = u
      leaves[#leaves + 1] = name
    end
  end
end
return {alive, own, dead, leaves}
`;

/**
 * ARGV: base, self, keepMs, n, then n (sid, record) pairs, then (userid, username, count) triples.
 * Rewrites this instance's records from its own memory (after a pause made it look dead, or
 * Redis lost them). Returns the userids that had to be announced again.
 */
export const RESYNC_SCRIPT = `${PRELUDE}
local conns, users = base .. ':conns:' .. self, base .. ':users:' .. self
redis.call('DEL', conns, users)
local n = tonumber(ARGV[4])
local i = 5
for _ = 1, n do
  redis.call('HSET', conns, ARGV[i], ARGV[i + 1])
  i = i + 2
end
local joined = {}
while i <= #ARGV do
  local u = ARGV[i]
  redis.call('HSET', users, u, ARGV[i + 2])
  redis.call('ZREM', base .. ':leaving', u)
  if redis.call('HSETNX', base .. ':announced', u, ARGV[i + 1]) == 1 then joined[#joined + 1] = u end
  i = i + 3
end
redis.call('PEXPIRE', conns, ARGV[3])
redis.call('PEXPIRE', users, ARGV[3])
-- A remove that failed while Redis was away left its user announced with nothing pending.
local now = clock()
local live = others(now)
local leaving = base .. ':leaving'
for _, u in ipairs(redis.call('HKEYS', base .. ':announced')) do
  if total(live, u) == 0 and not redis.call('ZSCORE', leaving, u) then redis.call('ZADD', leaving, now, u) end
end
return joined
`;

/** ARGV: base, self. Every live connection record, this instance's included. */
export const CONNECTIONS_SCRIPT = `${PRELUDE}
local out = redis.call('HVALS', base .. ':conns:' .. self)
for _, i in ipairs(others(clock())) do
  for _, v in ipairs(redis.call('HVALS', base .. ':conns:' .. i)) do out[#out + 1] = v end
end
return out
`;

/** ARGV: base, self, userid. */
export const USER_COUNT_SCRIPT = `${PRELUDE}
return total(others(clock()), ARGV[3])
`;

/**
 * ARGV: base, self, date key, userid, username, now, ttl seconds, max users. Beside the hash a
 * sorted set `<date key>:lru` (userid by last seen): past max users the least recently seen go.
 * Returns how many went.
 */
export const SEEN_SCRIPT = `${PRELUDE}
local key, userid, now = ARGV[3], ARGV[4], tonumber(ARGV[6])
local lru, maxUsers = key .. ':lru', tonumber(ARGV[8])
local prev = redis.call('HGET', key, userid)
local evicted = 0
if not prev then
  -- A day written before the bound existed has no lru set: it is not trimmed, only bounded from now on.
  while redis.call('ZCARD', lru) >= maxUsers do
    local old = redis.call('ZPOPMIN', lru)
    if not old[1] then break end
    redis.call('HDEL', key, old[1])
    evicted = evicted + 1
  end
end
redis.call('ZADD', lru, now, userid)
redis.call('EXPIRE', lru, ARGV[7])
local rec = {userid = userid, username = ARGV[5], first_seen = now, last_seen = now, connections = 1}
if prev then
  local p = cjson.decode(prev)
  rec.first_seen = p.first_seen
  rec.connections = p.connections + 1
end
redis.call('HSET', key, userid, cjson.encode(rec))
redis.call('EXPIRE', key, ARGV[7])
return evicted
`;

/**
 * ARGV: base, self, userid, view json, max per user, max age ms, recent, max per source,
 * max users, now, oldest kept ("(<ms>", as text: Lua would print a large number as 1.7e+12). Per source: `:pv:<userid>` lists (newest first), `:pvusers` (userid by last
 * view), `:pvcount` (userid -> views kept) and `:pvtotal`. Users whose views all expired are
 * swept first; then past max users or max per source the least recently viewing users' views
 * go (never the caller's). Returns {users gone, views gone}.
 */
export const PAGE_VIEW_SCRIPT = `
local base, userid, json = ARGV[1], ARGV[3], ARGV[4]
local max, maxAge, recent = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local maxViews, maxUsers, now = tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10]
local users, counts, total = base .. ':pvusers', base .. ':pvcount', base .. ':pvtotal'
local function forget(u)
  local n = tonumber(redis.call('HGET', counts, u) or '0')
  redis.call('DECRBY', total, n)
  redis.call('HDEL', counts, u)
  redis.call('ZREM', users, u)
  redis.call('DEL', base .. ':pv:' .. u)
  return n
end
for _, u in ipairs(redis.call('ZRANGEBYSCORE', users, '-inf', ARGV[11], 'LIMIT', 0, 100)) do forget(u) end
local key = base .. ':pv:' .. userid
local before = redis.call('LLEN', key)
redis.call('LPUSH', key, json)
redis.call('LTRIM', key, 0, max - 1)
redis.call('PEXPIRE', key, maxAge)
local after = redis.call('LLEN', key)
redis.call('HSET', counts, userid, after)
redis.call('INCRBY', total, after - before)
redis.call('ZADD', users, now, userid)
if recent > 0 then
  local rk = base .. ':pvrecent'
  redis.call('LPUSH', rk, json)
  redis.call('LTRIM', rk, 0, recent - 1)
  redis.call('PEXPIRE', rk, maxAge)
end
local goneUsers, goneViews = 0, 0
while redis.call('ZCARD', users) > maxUsers or tonumber(redis.call('GET', total) or '0') > maxViews do
  local old = redis.call('ZRANGE', users, 0, 0)[1]
  if not old or old == userid then break end
  goneViews = goneViews + forget(old)
  goneUsers = goneUsers + 1
end
for _, k in ipairs({users, counts, total}) do redis.call('PEXPIRE', k, maxAge) end
return {goneUsers, goneViews}
`;

/** ARGV: base, self (leaves this instance's records, the others' untouched). */
export const CLOSE_SCRIPT = `${PRELUDE}
redis.call('ZREM', base .. ':inst', self)
redis.call('DEL', base .. ':conns:' .. self, base .. ':users:' .. self)
return 1
`;
