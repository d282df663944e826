// Lua run inside Redis: each script is one atomic step, so N gateway instances share limits
// exactly. Time comes from the Redis server (TIME), never from a client clock. The meter logic
// is the same as meter.ts (see the algorithm comment there). Sent with EVALSHA, falling back to
// EVAL on NOSCRIPT (redis-limiter.ts).

import { createHash } from "node:crypto";

export interface LuaScript {
  source: string;
  sha: string;
}

export function lua(source: string): LuaScript {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

// Shared prelude: server time in ms (µs precision) and the meter read/drain.
// A meter is stored as the string "<level> <at>" with a PX expiry of when it drains to 0.
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local function level_of(key, limit, window)
  local s = redis.call('GET', key)
  if not s or limit <= 0 then return 0 end
  local lvl, at = string.match(s, '^(%S+) (%S+)$')
  lvl, at = tonumber(lvl), tonumber(at)
  if not lvl or not at then return 0 end
  local elapsed = now - at
  if elapsed < 0 then elapsed = 0 end
  lvl = lvl - elapsed * limit / window
  if lvl < 0 then return 0 end
  return lvl
end
local function ms_to_drain(units, limit, window)
  if units <= 0 then return 0 end
  local ms = math.ceil(units * window / limit - 1e-6)
  if ms < 0 then return 0 end
  return ms
end
local function store(key, lvl, limit, window)
  if lvl <= 0 then
    redis.call('DEL', key)
  else
    local px = string.format('%.0f', ms_to_drain(lvl, limit, window) + 1)
    redis.call('SET', key, string.format('%.17g %.17g', lvl, now), 'PX', px)
  end
end
local function tolerance(limit)
  if limit > 1 then return 1e-9 * limit end
  return 1e-9
end
local function remaining(lvl, limit)
  local r = math.floor(limit - lvl + tolerance(limit))
  if r < 0 then return 0 end
  if r > limit then return limit end
  return r
end
`;

/**
 * KEYS: meter keys. ARGV: limit, windowMs, cost per key (3 per key).
 * All-or-nothing: every check is evaluated first; levels are written only if all allow.
 * Returns { refusedIndex (0 = none, else 1-based), then per check: remaining, resetMs, retryAfterMs }
 * with retryAfterMs = -1 meaning "never" (cost > limit). Lua numbers go back as integers, so every
 * value is rounded here explicitly.
 */
export const CONSUME = lua(`${PRELUDE}
local n = #KEYS
local current, pending, after, results = {}, {}, {}, {}
local refused = 0
for i = 1, n do
  local key = KEYS[i]
  local limit, window, cost = tonumber(ARGV[3*i-2]), tonumber(ARGV[3*i-1]), tonumber(ARGV[3*i])
  if current[key] == nil then current[key] = level_of(key, limit, window) end
  local lvl = pending[key] or current[key]
  if cost <= 0 or lvl + cost <= limit + tolerance(limit) then
    if cost > 0 then lvl = lvl + cost end
    pending[key] = lvl
    after[i] = lvl
    results[i] = 0
  else
    if refused == 0 then refused = i end
    if cost > limit then results[i] = -1
    else
      results[i] = ms_to_drain(lvl + cost - limit, limit, window)
      if results[i] < 1 then results[i] = 1 end
    end
  end
end
local out = { refused }
for i = 1, n do
  local key = KEYS[i]
  local limit, window = tonumber(ARGV[3*i-2]), tonumber(ARGV[3*i-1])
  local lvl = current[key]
  if refused == 0 then lvl = after[i] end
  out[#out+1] = remaining(lvl, limit)
  out[#out+1] = ms_to_drain(lvl, limit, window)
  out[#out+1] = results[i]
end
if refused == 0 then
  local done = {}
  for i = 1, n do
    local key = KEYS[i]
    if not done[key] then
      done[key] = true
      store(key, pending[key], tonumber(ARGV[3*i-2]), tonumber(ARGV[3*i-1]))
    end
  end
end
return out
`);

/** KEYS: meter keys. ARGV: limit, windowMs, cost per key. Lowers each level by cost (not below 0). */
export const REFUND = lua(`${PRELUDE}
for i = 1, #KEYS do
  local limit, window, cost = tonumber(ARGV[3*i-2]), tonumber(ARGV[3*i-1]), tonumber(ARGV[3*i])
  local lvl = level_of(KEYS[i], limit, window) - cost
  if lvl < 0 then lvl = 0 end
  store(KEYS[i], lvl, limit, window)
end
return 1
`);

/**
 * Concurrency slots: KEYS[1] a sorted set of lease ids scored by expiry (server ms).
 * ARGV: limit, ttlMs, lease id. Drops expired leases, then takes a slot if one is free.
 * The set itself expires ttlMs after the latest lease, so an abandoned key disappears.
 */
export const ACQUIRE = lua(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= limit then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`);
