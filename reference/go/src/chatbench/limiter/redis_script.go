package limiter

// limiterScript is LIMITER_SCRIPT of src/core/limiter/redis/limiter-script.ts, copied
// character for character (see that file for its KEYS, ARGV and reply): one decision, atomic,
// at Redis TIME when ARGV[6] is -1, merging a handed-back state first.
const limiterScript = `
local key = KEYS[1]
local algo = ARGV[1]
local p1 = tonumber(ARGV[2])
local p2 = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local consume = ARGV[5] == '1'
local now = tonumber(ARGV[6])
local slack = tonumber(ARGV[7])
if now < 0 then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local function num(x) return string.format('%.17g', x) end
local merge = ARGV[8] ~= nil

if algo == 'tb' then
  local C, R = p1, p2
  local tokens, ts = C, now
  local h = redis.call('HMGET', key, 't', 'ts')
  if h[1] then
    tokens = tonumber(h[1])
    ts = tonumber(h[2])
  end
  if merge then
    local lt, lts = tonumber(ARGV[8]), tonumber(ARGV[9])
    local m = math.max(now, ts, lts)
    local mine = math.min(C, tokens + (m - ts) * R / 1000)
    local theirs = math.min(C, lt + (m - lts) * R / 1000)
    if theirs < mine then tokens, ts = lt, lts end
  end
  local elapsed = 0
  if now > ts then elapsed = now - ts end
  local t = math.min(C, tokens + elapsed * R / 1000)
  local allowed = t >= cost
  local after = t
  if consume and allowed then after = t - cost end
  local retry = 0
  if not allowed then retry = math.ceil((cost - t) * 1000 / R) end
  local reset = math.ceil((C - after) * 1000 / R)
  if consume then
    if now > ts then ts = now end
    tokens = after
  end
  if consume or merge then
    redis.call('HSET', key, 't', num(tokens), 'ts', num(ts))
    redis.call('PEXPIRE', key, reset + slack)
  end
  return { allowed and 1 or 0, math.floor(after), retry, reset, now, num(tokens), num(ts) }
end

local L, W = p1, p2
local t = now
local h = redis.call('HMGET', key, 's', 'c', 'p')
local s = tonumber(h[1])
if s and s > t then t = s end
local ls = merge and tonumber(ARGV[8]) or nil
if ls and ls > t then t = ls end
local start = t - math.fmod(t, W)
local function counts(ws, c, p)
  if ws == start then return tonumber(c), tonumber(p) end
  if ws == start - W then return 0, tonumber(c) end
  return 0, 0
end
local cur, prev = counts(s, h[2], h[3])
if merge then
  local lc, lp = counts(ls, ARGV[9], ARGV[10])
  cur = math.max(cur, lc)
  prev = math.max(prev, lp)
end
local elapsed = t - start
local weighted = prev * (W - elapsed) + cur * W
local allowed = weighted + cost * W <= L * W
if allowed and consume then cur = cur + cost end
local after = prev * (W - elapsed) + cur * W
local retry = 0
if not allowed then
  if cur + cost <= L then
    retry = W - math.floor((L - cur - cost) * W / prev) - elapsed
  else
    retry = start + W - t + W - math.floor((L - cost) * W / cur)
  end
end
local remaining = 0
if after < L * W then remaining = math.floor((L * W - after) / W) end
local reset = 0
if cur > 0 then reset = start + 2 * W - t elseif prev > 0 then reset = start + W - t end
if consume or merge then
  redis.call('HSET', key, 's', num(start), 'c', num(cur), 'p', num(prev))
  redis.call('PEXPIRE', key, reset + slack)
end
return { allowed and 1 or 0, remaining, retry, reset, now, start, cur, prev }
`

// instancesScript is INSTANCES_SCRIPT of the same file: counts this instance among the live
// ones in the sorted set rl:instances and answers how many there are.
const instancesScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[2])
if ARGV[3] == '1' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
`
