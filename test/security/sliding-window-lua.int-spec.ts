/**
 * The limiter's Lua scripts against a real Redis: the window edge (a hit exactly windowMs old has
 * left), TTLs always set in the same script, exact counting under concurrency from several
 * clients, exactly one "block started" across clients, and millisecond scores (not microseconds,
 * which Lua's "%.14g" number formatting would round).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/infra/redis/redis-store';
import { BLOCKING_WINDOW_LUA, SLIDING_WINDOW_LUA, WINDOW_USAGE_LUA } from '../../src/infra/redis/sliding-window';
import { startRedis, type RedisServer } from '../harness';
import { range } from './helpers';

describe('sliding-window Lua on a real Redis', () => {
  let server: RedisServer;
  let r1: Redis;
  let r2: Redis;
  const key = () => `t:${randomUUID()}`;

  beforeAll(async () => {
    server = await startRedis();
    r1 = new Redis(server.url);
    r2 = new Redis(server.url);
  });
  afterAll(async () => {
    r1?.disconnect();
    r2?.disconnect();
    await server?.stop();
  });

  /** One hit at an explicit clock (ms): [allowed, count, resetMs]. */
  const hit = (k: string, limit: number, windowMs: number, now: number) =>
    r1.eval(SLIDING_WINDOW_LUA, 1, k, limit, windowMs, randomUUID(), now) as Promise<[number, number, number]>;

  it('frees a slot exactly when the oldest hit is windowMs old, not 1 ms earlier', async () => {
    const k = key();
    const base = 1_764_000_000_000;
    expect(await hit(k, 3, 1000, base)).toEqual([1, 1, 1000]);
    expect(await hit(k, 3, 1000, base + 1)).toEqual([1, 2, 999]);
    expect(await hit(k, 3, 1000, base + 2)).toEqual([1, 3, 998]);
    expect(await hit(k, 3, 1000, base + 999)).toEqual([0, 3, 1]); // the first hit is 999 ms old: still in
    expect(await hit(k, 3, 1000, base + 1000)).toEqual([1, 3, 1]); // exactly 1000 ms old: gone
    expect(await hit(k, 3, 1000, base + 1000)).toEqual([0, 3, 1]);
    expect(await hit(k, 3, 1000, base + 1001)).toEqual([1, 3, 1]); // base+1 left; the oldest is base+2
  });

  it('agrees with the usage script on the same edge', async () => {
    const k = key();
    const base = 1_764_000_000_000;
    await hit(k, 5, 1000, base);
    await hit(k, 5, 1000, base + 500);
    expect(await r1.eval(WINDOW_USAGE_LUA, 1, k, 1000, base + 999)).toEqual([2, 1]);
    expect(await r1.eval(WINDOW_USAGE_LUA, 1, k, 1000, base + 1000)).toEqual([1, 500]);
    expect(await r1.eval(WINDOW_USAGE_LUA, 1, k, 1000, base + 1500)).toEqual([0, 0]);
  });

  it('sets the expiry in the same script, so no window key is ever left without a TTL', async () => {
    const k = key();
    await r1.eval(SLIDING_WINDOW_LUA, 1, k, 2, 60_000, 'm1');
    const ttl = await r1.pttl(k);
    expect(ttl).toBeGreaterThan(59_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('scores hits with Redis server time in whole milliseconds', async () => {
    const k = key();
    await r1.eval(SLIDING_WINDOW_LUA, 1, k, 2, 60_000, 'm1');
    const [, score] = await r1.zrange(k, 0, 0, 'WITHSCORES');
    const [seconds] = await r1.time();
    expect(score).toMatch(/^\d{13}$/);
    expect(Math.abs(Number(score) - Number(seconds) * 1000)).toBeLessThan(2_000);
  });

  it('lets exactly `limit` of 200 concurrent hits through from two clients (RedisStore)', async () => {
    const s1 = new RedisStore(r1, `t:${randomUUID()}:`);
    const s2 = new RedisStore(r2, (s1 as unknown as { prefix: string }).prefix);
    const results = await Promise.all(range(200).map((i) => (i % 2 ? s1 : s2).hitWindow('budget', 20, 60_000)));
    expect(results.filter((r) => r.allowed)).toHaveLength(20);
    expect(results.filter((r) => r.allowed).map((r) => r.count).sort((a, b) => a - b)).toEqual(range(20).map((i) => i + 1));
  });

  it('starts a block exactly once among concurrent callers, refuses uncounted while blocked, and clears the window', async () => {
    const prefix = `t:${randomUUID()}:`;
    const stores = [new RedisStore(r1, prefix), new RedisStore(r2, prefix)];
    const results = await Promise.all(range(60).map((i) => stores[i % 2].hitBlockingWindow('w:{ip:1}', 'b:{ip:1}', 25, 60_000, 900_000, 'blocked')));
    expect(results.filter((r) => !r.blocked)).toHaveLength(25);
    expect(results.filter((r) => r.blockedNow)).toHaveLength(1);
    expect(await r1.get(`${prefix}b:{ip:1}`)).toBe('blocked');
    expect(await r1.pttl(`${prefix}b:{ip:1}`)).toBeGreaterThan(890_000);
    expect(await r1.exists(`${prefix}w:{ip:1}`)).toBe(0);
    const later = await stores[0].hitBlockingWindow('w:{ip:1}', 'b:{ip:1}', 25, 60_000, 900_000, 'blocked');
    expect(later).toMatchObject({ blocked: true, blockedNow: false });
    expect(later.resetMs).toBeGreaterThan(890_000);
  });

  it('the blocking script honours the same edge while not blocked', async () => {
    const k = key();
    const b = `${k}:block`;
    const at = (now: number) => r1.eval(BLOCKING_WINDOW_LUA, 2, k, b, 2, 1000, randomUUID(), 5000, 'x', now);
    const base = 1_764_000_000_000;
    expect(await at(base)).toEqual([0, 0, 1, 0]);
    expect(await at(base + 1)).toEqual([0, 0, 2, 0]);
    expect(await at(base + 1000)).toEqual([0, 0, 2, 0]); // the first hit left exactly now
    expect(await at(base + 1000)).toEqual([1, 1, 2, 5000]); // over the limit: the block starts
  });
});
