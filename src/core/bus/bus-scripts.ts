/**
 * The Redis side of the chat bus: the Lua scripts that change a room and publish the event in one
 * atomic step, on the keys and message format of bus-protocol.ts. Redis runs each script alone, so
 * every process sees one order of events per room, one `seq` counter and one member count. A
 * process sends the events of one turn of its event loop in one call (EVENTS_SCRIPT), which
 * applies them in order.
 *
 * Every key carries a TTL of KEY_TTL_TIMEOUTS node timeouts, set when a script writes it and
 * renewed by each heartbeat of a process with members in the room: a live process's keys never
 * expire (it beats every third of a timeout), and when every process is gone, with nobody left to
 * reap, nothing the bus wrote outlives them by more than that.
 *
 * The scripts address keys they compute (the reaper walks another process's rooms), so the bus
 * needs one Redis server (with replicas and Sentinel if wanted), not Redis Cluster.
 */

/** A bus key's TTL, in node timeouts (CHAT_BUS_NODE_TIMEOUT_MS). */
export const KEY_TTL_TIMEOUTS = 3;

/** Lua helpers shared by the scripts: the frames, exactly as src/protocol/frames.ts writes them. */
const FRAMES = `
local function join_frame(room, user, n)
  return '{"type":"join","room":"' .. room .. '","user":"' .. user .. '","members":' .. n .. '}'
end
local function leave_frame(room, user, n)
  return '{"type":"leave","room":"' .. room .. '","user":"' .. user .. '","members":' .. n .. '}'
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- The TTL of every key, from the node timeout given to the script.
local function key_ttl(timeout) return ${KEY_TTL_TIMEOUTS} * tonumber(timeout) end
-- Removes every member process 'node' has in 'room' and tells the room; forgets an empty room.
local function drop_node_room(node, room, ttl)
  local prefix = 'chat:{' .. room .. '}'
  local hash = prefix .. ':node:' .. node
  local gone = redis.call('HGETALL', hash)
  if #gone == 0 then return end
  redis.call('DEL', hash)
  local n = tonumber(redis.call('GET', prefix .. ':members') or '0')
  for i = 2, #gone, 2 do
    n = math.max(n - 1, 0)
    redis.call('PUBLISH', prefix, '-\\n' .. leave_frame(room, gone[i], n))
  end
  if n == 0 then redis.call('DEL', prefix .. ':members', prefix .. ':seq')
  else redis.call('SET', prefix .. ':members', n, 'PX', ttl) end
end
-- Forgets process 'node': each of its members leaves each of its rooms.
local function reap(node, ttl)
  redis.call('ZREM', 'chat:nodes', node)
  local rooms_key = 'chat:node:' .. node .. ':rooms'
  for _, room in ipairs(redis.call('SMEMBERS', rooms_key)) do drop_node_room(node, room, ttl) end
  redis.call('DEL', rooms_key)
end
`;

/**
 * Room events, in the order given, each applied and published before the next (one call carries
 * every event a process asked for in one turn of its event loop). ARGV: node, node timeout ms,
 * then per event:
 *   `j`, room, event number, connection id, user      join
 *   `l`, room, event number, connection id, user      leave (or a disconnect)
 *   `c`, room, event number, chat frame up to its `seq` value (ending in `"seq":`)
 * A join or leave publishes the member count after it; the last member's leave forgets the room
 * (its `seq` starts over). Returns the number of events.
 */
export const EVENTS_SCRIPT = `${FRAMES}
local node = ARGV[1]
local ttl = key_ttl(ARGV[2])
local rooms_key = 'chat:node:' .. node .. ':rooms'
local i, events = 3, 0
while i <= #ARGV do
  local kind, room = ARGV[i], ARGV[i + 1]
  local prefix = 'chat:{' .. room .. '}'
  local origin = node .. ':' .. ARGV[i + 2] .. '\\n'
  events = events + 1
  if kind == 'c' then
    local s = redis.call('INCR', prefix .. ':seq')
    if s == 1 then redis.call('PEXPIRE', prefix .. ':seq', ttl) end -- a new counter (INCR keeps a TTL)
    redis.call('PUBLISH', prefix, origin .. ARGV[i + 3] .. s .. '}')
    i = i + 4
  else
    local conn, user = ARGV[i + 3], ARGV[i + 4]
    local hash = prefix .. ':node:' .. node
    local n
    if kind == 'j' then
      if redis.call('HSET', hash, conn, user) == 1 then
        n = redis.call('INCR', prefix .. ':members')
      else
        n = tonumber(redis.call('GET', prefix .. ':members') or '0')
      end
      redis.call('SADD', rooms_key, room)
      redis.call('PEXPIRE', hash, ttl)
      redis.call('PEXPIRE', prefix .. ':members', ttl)
      redis.call('PEXPIRE', rooms_key, ttl)
      redis.call('PUBLISH', prefix, origin .. join_frame(room, user, n))
    else
      if redis.call('HDEL', hash, conn) == 1 then
        n = redis.call('DECR', prefix .. ':members')
      else
        n = tonumber(redis.call('GET', prefix .. ':members') or '0')
      end
      if n <= 0 then
        n = 0
        redis.call('DEL', prefix .. ':members', prefix .. ':seq')
      end
      if redis.call('EXISTS', hash) == 0 then redis.call('SREM', rooms_key, room) end
      redis.call('PUBLISH', prefix, origin .. leave_frame(room, user, n))
    end
    i = i + 5
  end
end
return events
`;

/**
 * heartbeat. KEYS: nodes. ARGV: node, timeout ms, most nodes to reap. Extends this process's
 * deadline and the TTL of every key of its rooms when it is registered, and reaps processes past
 * their deadline. Returns {1 when this process was registered else 0, processes reaped}.
 */
export const HEARTBEAT_SCRIPT = `${FRAMES}
local node = ARGV[1]
local ttl = key_ttl(ARGV[2])
local now = now_ms()
local registered = redis.call('ZSCORE', KEYS[1], node)
if registered then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), node)
  redis.call('PEXPIRE', KEYS[1], ttl)
  local rooms_key = 'chat:node:' .. node .. ':rooms'
  redis.call('PEXPIRE', rooms_key, ttl)
  for _, room in ipairs(redis.call('SMEMBERS', rooms_key)) do
    local prefix = 'chat:{' .. room .. '}'
    redis.call('PEXPIRE', prefix .. ':node:' .. node, ttl)
    redis.call('PEXPIRE', prefix .. ':members', ttl)
    redis.call('PEXPIRE', prefix .. ':seq', ttl)
  end
end
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
for _, dead_node in ipairs(dead) do reap(dead_node, ttl) end
return {registered and 1 or 0, #dead}
`;

/**
 * sync: registers this process with what its rooms hold right now, after an outage or after it
 * was reaped. KEYS: nodes. ARGV: node, timeout ms, then per room: name, last seq seen here, k,
 * and k pairs of connection id and user. Members Redis lacks are announced with `join`, members
 * Redis has but this process lost with `leave`; a room's `seq` never goes below one this process
 * already delivered. Returns the number of rooms.
 */
export const SYNC_SCRIPT = `${FRAMES}
local node = ARGV[1]
local ttl = key_ttl(ARGV[2])
redis.call('ZADD', KEYS[1], now_ms() + tonumber(ARGV[2]), node)
redis.call('PEXPIRE', KEYS[1], ttl)
local rooms_key = 'chat:node:' .. node .. ':rooms'
local here = {}
local i = 3
while i <= #ARGV do
  local room, last_seq, k = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  i = i + 3
  here[room] = true
  local prefix = 'chat:{' .. room .. '}'
  local hash = prefix .. ':node:' .. node
  local known = {}
  local listed = redis.call('HGETALL', hash)
  for j = 1, #listed, 2 do known[listed[j]] = listed[j + 1] end
  local n = tonumber(redis.call('GET', prefix .. ':members') or '0')
  local now_here = {}
  for j = 0, k - 1 do
    local conn, user = ARGV[i + 2 * j], ARGV[i + 2 * j + 1]
    now_here[conn] = true
    if known[conn] == nil then
      redis.call('HSET', hash, conn, user)
      n = n + 1
      redis.call('PUBLISH', prefix, '-\\n' .. join_frame(room, user, n))
    end
  end
  i = i + 2 * k
  for conn, user in pairs(known) do
    if not now_here[conn] then
      redis.call('HDEL', hash, conn)
      n = math.max(n - 1, 0)
      redis.call('PUBLISH', prefix, '-\\n' .. leave_frame(room, user, n))
    end
  end
  if n == 0 then redis.call('DEL', prefix .. ':members', prefix .. ':seq')
  else
    redis.call('SET', prefix .. ':members', n, 'PX', ttl)
    if tonumber(redis.call('GET', prefix .. ':seq') or '0') < last_seq then
      redis.call('SET', prefix .. ':seq', last_seq)
    end
    redis.call('PEXPIRE', prefix .. ':seq', ttl)
    redis.call('PEXPIRE', hash, ttl)
    redis.call('SADD', rooms_key, room)
  end
end
for _, room in ipairs(redis.call('SMEMBERS', rooms_key)) do
  if not here[room] then
    drop_node_room(node, room, ttl)
    redis.call('SREM', rooms_key, room)
  end
end
redis.call('PEXPIRE', rooms_key, ttl)
return 0
`;

/** leave the bus: reaps this process (ARGV: node, timeout ms); any member still registered leaves. */
export const UNREGISTER_SCRIPT = `${FRAMES}
reap(ARGV[1], key_ttl(ARGV[2]))
return 0
`;
