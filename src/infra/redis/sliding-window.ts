/**
 * Sliding-window arithmetic shared by the in-process store and mirrored by the Redis Lua scripts.
 * A hit at time t counts for the window (t - windowMs, t]: a hit exactly windowMs old has left,
 * so at most `limit` hits are ever counted in any window of `windowMs`.
 * Pure (no imports), so the window edges are unit-testable.
 */
export interface SlidingWindowDecision {
  allowed: boolean;
  /** Hits in the window, including this one when allowed. */
  count: number;
  /** Milliseconds until the oldest counted hit leaves the window (a slot frees up). */
  resetMs: number;
  /** The hits still inside the window, after pruning (and after adding this one when allowed). */
  hits: number[];
}

/** Index of the first hit still inside the window (hits sorted ascending). */
function firstInWindow(hits: readonly number[], cutoff: number): number {
  let lo = 0;
  let hi = hits.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (hits[mid] <= cutoff) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Counts one hit at `now` into `hits` (sorted ascending) IN PLACE if fewer than `limit` hits
 * are inside the window. O(log n) search plus one splice; used by the in-process store.
 */
export function recordHit(hits: number[], now: number, limit: number, windowMs: number): Omit<SlidingWindowDecision, 'hits'> {
  const first = firstInWindow(hits, now - windowMs);
  if (first > 0) hits.splice(0, first);
  const allowed = hits.length < limit;
  if (allowed) {
    // A clock that stepped back must not unsort the log: insert at the sorted position.
    const at = hits.length === 0 || hits[hits.length - 1] <= now ? hits.length : firstInWindow(hits, now);
    hits.splice(at, 0, now);
  }
  const oldest = hits.length > 0 ? hits[0] : now;
  return { allowed, count: hits.length, resetMs: Math.max(0, oldest + windowMs - now) };
}

/** The same rule as a pure function: never mutates `hits`. */
export function slidingWindow(hits: readonly number[], now: number, limit: number, windowMs: number): SlidingWindowDecision {
  const copy = [...hits].sort((a, b) => a - b);
  const decision = recordHit(copy, now, limit, windowMs);
  return { ...decision, hits: copy };
}

/** How many hits are in the window at `now`, without counting one. */
export function windowUsage(hits: readonly number[], now: number, windowMs: number): { count: number; resetMs: number } {
  const first = firstInWindow(hits, now - windowMs);
  const count = hits.length - first;
  return { count, resetMs: count > 0 ? Math.max(0, hits[first] + windowMs - now) : 0 };
}

/**
 * Lua prelude: the clock is Redis server time in MILLISECONDS (replicas with skewed clocks agree).
 * Not microseconds: Lua turns numbers into command arguments with "%.14g", so a 16-digit µs
 * timestamp would be rounded to 100 µs in ZADD/ZREMRANGEBYSCORE and blur the window edge; a
 * 13-digit ms timestamp is exact. An explicit clock (ARGV[nowArg]) exists only for edge tests.
 */
const clock = (nowArg: number) => `
local now
if ARGV[${nowArg}] and ARGV[${nowArg}] ~= '' then
  now = tonumber(ARGV[${nowArg}])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end`;

/** Prune, check, count: ZREMRANGEBYSCORE is inclusive, so a hit exactly `window` old leaves. */
const WINDOW_BODY = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  count = count + 1
  allowed = 1
end
if count > 0 then redis.call('PEXPIRE', KEYS[1], window) end`;

const RESET = `
local reset = 0
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then reset = tonumber(oldest[2]) + window - now end
if reset < 0 then reset = 0 end`;

/**
 * Atomic sliding-window check-and-count (one script = one round trip; the TTL is set in the
 * same script, so no key is ever left without expiry).
 * KEYS[1] window; ARGV: limit, windowMs, unique member, [nowMs]. Returns {allowed, count, resetMs}.
 */
export const SLIDING_WINDOW_LUA = `${clock(4)}
${WINDOW_BODY}
${RESET}
return {allowed, count, reset}
`;

/**
 * The window plus a block: while KEYS[2] exists every hit is refused without being counted;
 * the hit that goes over the limit creates it (SET NX, so exactly one caller on any replica
 * learns it started the block) and clears the window so counting restarts after the block.
 * Both keys share a {hash tag} so the script also runs on Redis Cluster.
 * KEYS[1] window, KEYS[2] block; ARGV: limit, windowMs, member, blockMs, blockValue, [nowMs].
 * Returns {blocked, blockedNow, count, resetMs} (resetMs = time left of the block when blocked).
 */
export const BLOCKING_WINDOW_LUA = `
local blockTtl = redis.call('PTTL', KEYS[2])
if blockTtl ~= -2 then
  if blockTtl < 0 then blockTtl = tonumber(ARGV[4]) end
  return {1, 0, 0, blockTtl}
end
${clock(6)}
${WINDOW_BODY}
if allowed == 0 then
  local started = redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[4], 'NX')
  redis.call('DEL', KEYS[1])
  if started then return {1, 1, count, tonumber(ARGV[4])} end
  return {1, 0, count, tonumber(ARGV[4])}
end
return {0, 0, count, 0}
`;

/** Read-only usage of a window. KEYS[1]; ARGV: windowMs, [nowMs]. Returns {count, resetMs}. */
export const WINDOW_USAGE_LUA = `${clock(2)}
local window = tonumber(ARGV[1])
local cutoff = '(' .. string.format('%d', now - window)
local count = redis.call('ZCOUNT', KEYS[1], cutoff, '+inf')
local reset = 0
local oldest = redis.call('ZRANGEBYSCORE', KEYS[1], cutoff, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
if oldest[2] then reset = tonumber(oldest[2]) + window - now end
if reset < 0 then reset = 0 end
return {count, reset}
`;
