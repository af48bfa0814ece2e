/**
 * The Redis side of a decision: one Lua script, run with EVALSHA, atomic whatever the number of
 * app instances. It is the same arithmetic as src/limiter/algorithms (IEEE doubles in the same
 * order; floors of integer quotients below 2^50 are exact), checked by the same vectors.
 *
 * KEYS[1]  the key (one hash per policy and subject)
 * ARGV     algorithm ('tb' | 'sw'), C or L, R or W, cost, consume (1 | 0),
 *          now in ms (-1: use Redis TIME, the one clock all instances share), TTL slack in ms
 * Returns  { allowed (1 | 0), remaining, retryAfterMs, resetMs, now }
 *
 * Token-bucket tokens are stored with %.17g: Lua's default number format keeps 14 digits and
 * would round the state between calls.
 */
export const LIMITER_SCRIPT = `
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

if algo == 'tb' then
  local C, R = p1, p2
  local tokens, ts = C, now
  local h = redis.call('HMGET', key, 't', 'ts')
  if h[1] then
    tokens = tonumber(h[1])
    ts = tonumber(h[2])
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
    redis.call('HSET', key, 't', num(after), 'ts', num(ts))
    redis.call('PEXPIRE', key, reset + slack)
  end
  return { allowed and 1 or 0, math.floor(after), retry, reset, now }
end

local L, W = p1, p2
local t = now
local h = redis.call('HMGET', key, 's', 'c', 'p')
local s = tonumber(h[1])
if s and s > t then t = s end
local start = t - math.fmod(t, W)
local cur, prev = 0, 0
if s == start then
  cur = tonumber(h[2])
  prev = tonumber(h[3])
elseif s == start - W then
  prev = tonumber(h[2])
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
if consume then
  redis.call('HSET', key, 's', num(start), 'c', num(cur), 'p', num(prev))
  redis.call('PEXPIRE', key, reset + slack)
end
return { allowed and 1 or 0, remaining, retry, reset, now }
`;
