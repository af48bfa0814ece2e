/**
 * The Redis side of the chat bus: the Lua scripts that change a room and publish the event in one
 * atomic step, on the keys and message format of bus-protocol.ts. Redis runs each script alone, so
 * every process sees one order of events per room, one `seq` counter and one member count.
 *
 * Every script works on one room and touches only that room's keys, all of one hash tag
 * (`chat:{R}...`): on a Redis Cluster each call runs on the one shard that holds the room. The
 * room's channel `chat:{R}` is the script's one declared key (KEYS[1]), the others are derived
 * from it. Events are published with sharded pub/sub (SPUBLISH), which one Redis (7.0 or later)
 * serves as well. There is no per-process or global key: each room keeps the processes that have
 * members in it (`chat:{R}:nodes`, deadlines), and a process's heartbeat renews its deadline in
 * each of its rooms and reaps, in that room, the processes past theirs.
 *
 * Every key carries a TTL of KEY_TTL_TIMEOUTS node timeouts, set when a script writes it and
 * renewed by each heartbeat of a process with members in the room: a live process's keys never
 * expire (it beats every third of a timeout), and when every process is gone, with nobody left to
 * reap, nothing the bus wrote outlives them by more than that.
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
-- The room of this call: KEYS[1] is its channel, chat:{<room>}; every key of it starts so.
local prefix = KEYS[1]
local room = string.sub(prefix, 7, -2)
local nodes_key = prefix .. ':nodes'
-- Removes every member process 'node' has in the room and tells the room; forgets an empty room.
-- 'reaped': the process was presumed dead, and is told so at its next heartbeat in the room.
local function drop_node(node, ttl, reaped)
  redis.call('ZREM', nodes_key, node)
  if reaped then redis.call('SET', prefix .. ':reaped:' .. node, 1, 'PX', ttl) end
  local hash = prefix .. ':node:' .. node
  local gone = redis.call('HGETALL', hash)
  if #gone == 0 then return end
  redis.call('DEL', hash)
  local n = tonumber(redis.call('GET', prefix .. ':members') or '0')
  for i = 2, #gone, 2 do
    n = math.max(n - 1, 0)
    redis.call('SPUBLISH', prefix, '-\\n' .. leave_frame(room, gone[i], n))
  end
  if n == 0 then redis.call('DEL', prefix .. ':members', prefix .. ':seq', nodes_key)
  else redis.call('SET', prefix .. ':members', n, 'PX', ttl) end
end
-- Registers 'node' in the room until now + timeout.
local function renew(node, timeout, ttl)
  redis.call('DEL', prefix .. ':reaped:' .. node)
  redis.call('ZADD', nodes_key, now_ms() + tonumber(timeout), node)
  redis.call('PEXPIRE', nodes_key, ttl)
end
`;

/**
 * One room's events (KEYS[1]: its channel), in the order given, each applied and published before
 * the next (one call carries every event of the room a process asked for in one turn of its event
 * loop). ARGV: node, node timeout ms, then per event:
 *   `j`, event number, connection id, user      join
 *   `l`, event number, connection id, user      leave (or a disconnect)
 *   `c`, event number, chat frame up to its `seq` value (ending in `"seq":`)
 * A join or leave publishes the member count after it; the last member's leave forgets the room
 * (its `seq` starts over). A join registers the process in the room; its last member's leave
 * unregisters it. Returns the number of events.
 */
export const EVENTS_SCRIPT = `${FRAMES}
local node = ARGV[1]
local timeout = ARGV[2]
local ttl = key_ttl(timeout)
local hash = prefix .. ':node:' .. node
local i, events = 3, 0
while i <= #ARGV do
  local kind = ARGV[i]
  local origin = node .. ':' .. ARGV[i + 1] .. '\\n'
  events = events + 1
  if kind == 'c' then
    local s = redis.call('INCR', prefix .. ':seq')
    if s == 1 then redis.call('PEXPIRE', prefix .. ':seq', ttl) end -- a new counter (INCR keeps a TTL)
    redis.call('SPUBLISH', prefix, origin .. ARGV[i + 2] .. s .. '}')
    i = i + 3
  else
    local conn, user = ARGV[i + 2], ARGV[i + 3]
    local n
    if kind == 'j' then
      if redis.call('HSET', hash, conn, user) == 1 then
        n = redis.call('INCR', prefix .. ':members')
      else
        n = tonumber(redis.call('GET', prefix .. ':members') or '0')
      end
      renew(node, timeout, ttl)
      redis.call('PEXPIRE', hash, ttl)
      redis.call('PEXPIRE', prefix .. ':members', ttl)
      redis.call('SPUBLISH', prefix, origin .. join_frame(room, user, n))
    else
      if redis.call('HDEL', hash, conn) == 1 then
        n = redis.call('DECR', prefix .. ':members')
      else
        n = tonumber(redis.call('GET', prefix .. ':members') or '0')
      end
      if redis.call('EXISTS', hash) == 0 then redis.call('ZREM', nodes_key, node) end
      if n <= 0 then
        n = 0
        redis.call('DEL', prefix .. ':members', prefix .. ':seq')
      end
      redis.call('SPUBLISH', prefix, origin .. leave_frame(room, user, n))
    end
    i = i + 4
  end
end
return events
`;

/**
 * heartbeat, in one room (KEYS[1]: its channel). ARGV: node, timeout ms, most processes to reap.
 * When this process is registered in the room: extends its deadline there and the TTL of every key
 * of the room. Reaps the room's processes past their deadline: their members leave the room, and
 * each is marked reaped there. Returns {0 when this process was reaped in the room (it must sync
 * again), else 1 (registered, or with no member left there: its last leave may have crossed this
 * beat), processes reaped}.
 */
export const HEARTBEAT_SCRIPT = `${FRAMES}
local node = ARGV[1]
local ttl = key_ttl(ARGV[2])
local now = now_ms()
local registered = redis.call('ZSCORE', nodes_key, node)
if registered then
  redis.call('ZADD', nodes_key, now + tonumber(ARGV[2]), node)
  redis.call('PEXPIRE', nodes_key, ttl)
  redis.call('PEXPIRE', prefix .. ':node:' .. node, ttl)
  redis.call('PEXPIRE', prefix .. ':members', ttl)
  redis.call('PEXPIRE', prefix .. ':seq', ttl)
end
local reaped = redis.call('EXISTS', prefix .. ':reaped:' .. node) == 1
local dead = redis.call('ZRANGEBYSCORE', nodes_key, '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
for _, dead_node in ipairs(dead) do drop_node(dead_node, ttl, true) end
return {reaped and 0 or 1, #dead}
`;

/**
 * sync, in one room (KEYS[1]: its channel): registers this process there with what the room holds
 * here right now, after an outage or after it was reaped. ARGV: node, timeout ms, last seq seen
 * here, k, then k pairs of connection id and user (k = 0: the process has no member left there).
 * Members Redis lacks are announced with `join`, members Redis has but this process lost with
 * `leave`; the room's `seq` never goes below one this process already delivered. Returns 0.
 */
export const SYNC_SCRIPT = `${FRAMES}
local node = ARGV[1]
local timeout = ARGV[2]
local ttl = key_ttl(timeout)
local last_seq, k = tonumber(ARGV[3]), tonumber(ARGV[4])
local hash = prefix .. ':node:' .. node
local known = {}
local listed = redis.call('HGETALL', hash)
for j = 1, #listed, 2 do known[listed[j]] = listed[j + 1] end
local n = tonumber(redis.call('GET', prefix .. ':members') or '0')
local now_here = {}
for j = 0, k - 1 do
  local conn, user = ARGV[5 + 2 * j], ARGV[6 + 2 * j]
  now_here[conn] = true
  if known[conn] == nil then
    redis.call('HSET', hash, conn, user)
    n = n + 1
    redis.call('SPUBLISH', prefix, '-\\n' .. join_frame(room, user, n))
  end
end
for conn, user in pairs(known) do
  if not now_here[conn] then
    redis.call('HDEL', hash, conn)
    n = math.max(n - 1, 0)
    redis.call('SPUBLISH', prefix, '-\\n' .. leave_frame(room, user, n))
  end
end
if k > 0 then renew(node, timeout, ttl) else redis.call('ZREM', nodes_key, node) end
if n == 0 then redis.call('DEL', prefix .. ':members', prefix .. ':seq', nodes_key)
else
  redis.call('SET', prefix .. ':members', n, 'PX', ttl)
  if tonumber(redis.call('GET', prefix .. ':seq') or '0') < last_seq then
    redis.call('SET', prefix .. ':seq', last_seq)
  end
  redis.call('PEXPIRE', prefix .. ':seq', ttl)
  if k > 0 then redis.call('PEXPIRE', hash, ttl) end
end
return 0
`;

/** leave the bus, in one room (KEYS[1]; ARGV: node, timeout ms): its members there leave. */
export const UNREGISTER_SCRIPT = `${FRAMES}
drop_node(ARGV[1], key_ttl(ARGV[2]), false)
return 0
`;
