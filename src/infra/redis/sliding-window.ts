/**
 * Sliding-window arithmetic shared by the in-process store and mirrored by the Redis Lua script.
 * A hit at time t counts for the window (t - windowMs, t]: a hit exactly windowMs old has left.
 */
export interface SlidingWindowDecision {
  allowed: boolean;
  count: number;
  resetMs: number;
  /** The hits still inside the window, after pruning (and after adding this one when allowed). */
  hits: number[];
}

export function slidingWindow(hits: readonly number[], now: number, limit: number, windowMs: number): SlidingWindowDecision {
  const cutoff = now - windowMs;
  const inWindow = hits.filter((t) => t > cutoff);
  const allowed = inWindow.length < limit;
  if (allowed) inWindow.push(now);
  const oldest = inWindow.length > 0 ? Math.min(...inWindow) : now;
  return { allowed, count: inWindow.length, resetMs: Math.max(0, oldest + windowMs - now), hits: inWindow };
}

/**
 * The same rule as one atomic Redis script (sorted set scored by Redis server time in µs, so
 * replicas with skewed clocks agree). KEYS[1] window key; ARGV: limit, windowMs, unique member.
 */
export const SLIDING_WINDOW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2]) * 1000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  count = count + 1
  allowed = 1
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = 0
if oldest[2] then reset = math.ceil((tonumber(oldest[2]) + window - now) / 1000) end
return {allowed, count, reset}
`;
