/** Redis SharedStore: every read-modify-write is one atomic command or Lua script. */
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { BlockingWindowResult, SharedStore, WindowResult, WindowUsage } from './shared-store';
import { BLOCKING_WINDOW_LUA, SLIDING_WINDOW_LUA, WINDOW_USAGE_LUA } from './sliding-window';

const INCREMENT_LUA = `
local v = redis.call('INCR', KEYS[1])
if v == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return v`;

const ACQUIRE_LEASE_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RELEASE_LEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type ScriptedRedis = (Redis | Cluster) & {
  bwWindow(key: string, limit: number, windowMs: number, member: string): Promise<[number, number, number]>;
  bwBlockingWindow(
    key: string,
    blockKey: string,
    limit: number,
    windowMs: number,
    member: string,
    blockMs: number,
    blockValue: string,
  ): Promise<[number, number, number, number]>;
  bwWindowUsage(key: string, windowMs: number): Promise<[number, number]>;
  bwIncrement(key: string, ttlMs: number): Promise<number>;
  bwAcquireLease(key: string, owner: string, ttlMs: number): Promise<number>;
  bwReleaseLease(key: string, owner: string): Promise<number>;
};

export class RedisStore implements SharedStore {
  readonly kind = 'redis' as const;
  private readonly redis: ScriptedRedis;
  // Window members must be unique across replicas: a per-process id plus a counter is enough
  // and cheaper than a UUID per hit.
  private readonly memberPrefix = `${randomUUID()}:`;
  private memberSeq = 0;

  constructor(
    client: Redis | Cluster,
    /** Before every key: `RedisNames.keyPrefix` (redis-names.ts). */
    private readonly prefix: string,
  ) {
    client.defineCommand('bwWindow', { numberOfKeys: 1, lua: SLIDING_WINDOW_LUA });
    client.defineCommand('bwBlockingWindow', { numberOfKeys: 2, lua: BLOCKING_WINDOW_LUA });
    client.defineCommand('bwWindowUsage', { numberOfKeys: 1, lua: WINDOW_USAGE_LUA });
    client.defineCommand('bwIncrement', { numberOfKeys: 1, lua: INCREMENT_LUA });
    client.defineCommand('bwAcquireLease', { numberOfKeys: 1, lua: ACQUIRE_LEASE_LUA });
    client.defineCommand('bwReleaseLease', { numberOfKeys: 1, lua: RELEASE_LEASE_LUA });
    this.redis = client as ScriptedRedis;
  }

  /**
   * Loads every script into Redis's cache, so the first calls after start-up do not pay the
   * EVALSHA → NOSCRIPT → EVAL detour under load. Best effort (Redis may be down at start).
   */
  async loadScripts(): Promise<void> {
    const scripts = [
      SLIDING_WINDOW_LUA,
      BLOCKING_WINDOW_LUA,
      WINDOW_USAGE_LUA,
      INCREMENT_LUA,
      ACQUIRE_LEASE_LUA,
      RELEASE_LEASE_LUA,
    ];
    // On a Cluster every primary keeps its own script cache; a failover brings a primary that
    // has none, which defineCommand's EVALSHA → NOSCRIPT → EVAL fallback covers.
    const nodes = 'isCluster' in this.redis && this.redis.isCluster ? (this.redis as Cluster).nodes('master') : [this.redis as Redis];
    await Promise.all(nodes.flatMap((n) => scripts.map((lua) => n.script('LOAD', lua)))).catch(() => undefined);
  }

  get client(): Redis | Cluster {
    return this.redis;
  }

  async hitWindow(key: string, limit: number, windowMs: number): Promise<WindowResult> {
    const [allowed, count, resetMs] = await this.redis.bwWindow(this.prefix + key, limit, windowMs, this.nextMember());
    return { allowed: allowed === 1, count, resetMs };
  }

  async hitBlockingWindow(
    key: string,
    blockKey: string,
    limit: number,
    windowMs: number,
    blockMs: number,
    blockValue: string,
  ): Promise<BlockingWindowResult> {
    const [blocked, blockedNow, count, resetMs] = await this.redis.bwBlockingWindow(
      this.prefix + key,
      this.prefix + blockKey,
      limit,
      windowMs,
      this.nextMember(),
      blockMs,
      blockValue,
    );
    return { blocked: blocked === 1, blockedNow: blockedNow === 1, count, resetMs };
  }

  async windowUsage(key: string, windowMs: number): Promise<WindowUsage> {
    const [count, resetMs] = await this.redis.bwWindowUsage(this.prefix + key, windowMs);
    return { count, resetMs };
  }

  private nextMember(): string {
    this.memberSeq = (this.memberSeq + 1) % Number.MAX_SAFE_INTEGER;
    return this.memberPrefix + this.memberSeq.toString(36);
  }

  increment(key: string, ttlMs: number): Promise<number> {
    return this.redis.bwIncrement(this.prefix + key, ttlMs);
  }

  get(key: string): Promise<string | null> {
    return this.redis.get(this.prefix + key);
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs) await this.redis.set(this.prefix + key, value, 'PX', ttlMs);
    else await this.redis.set(this.prefix + key, value);
  }

  async setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    const res = ttlMs
      ? await this.redis.set(this.prefix + key, value, 'PX', ttlMs, 'NX')
      : await this.redis.set(this.prefix + key, value, 'NX');
    return res === 'OK';
  }

  ttl(key: string): Promise<number> {
    return this.redis.pttl(this.prefix + key);
  }

  async del(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  /** On a Cluster, SCAN sees one node's keys only: every primary is scanned. */
  async keys(prefix: string): Promise<string[]> {
    const nodes = 'isCluster' in this.redis && this.redis.isCluster ? (this.redis as Cluster).nodes('master') : [this.redis as Redis];
    const out: string[] = [];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', `${this.prefix}${prefix}*`, 'COUNT', 500);
        cursor = next;
        for (const k of batch) out.push(k.slice(this.prefix.length));
      } while (cursor !== '0' && out.length < 10_000);
    }
    return out;
  }

  async acquireLease(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.bwAcquireLease(this.prefix + key, owner, ttlMs)) === 1;
  }

  async releaseLease(key: string, owner: string): Promise<void> {
    await this.redis.bwReleaseLease(this.prefix + key, owner);
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }
}
