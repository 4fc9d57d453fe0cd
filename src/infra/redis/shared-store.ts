/**
 * Cross-replica state (throttling windows, lockout and abuse counters, IP blocks, leases) behind
 * one interface with two implementations: Redis (scaled) and in-process (single instance, or
 * the local fallback while Redis is unreachable).
 */
export interface WindowResult {
  /** True when this hit was counted within the limit. */
  allowed: boolean;
  /** Hits in the window, including this one when allowed. */
  count: number;
  /** Milliseconds until the oldest counted hit leaves the window (when a slot frees up). */
  resetMs: number;
}

export interface BlockingWindowResult {
  /** True while the subject is blocked, including by this very hit. */
  blocked: boolean;
  /** True for exactly one hit across all replicas: the one that started the block. */
  blockedNow: boolean;
  /** Hits in the window (0 while blocked). */
  count: number;
  /** Time left of the block when blocked; else 0. */
  resetMs: number;
}

export interface WindowUsage {
  count: number;
  resetMs: number;
}

export interface SharedStore {
  readonly kind: 'redis' | 'memory';
  /**
   * Sliding-window check-and-count, atomic: counts this hit only if fewer than `limit` hits
   * happened in the last `windowMs`. N allowed means exactly N, whatever the concurrency.
   */
  hitWindow(key: string, limit: number, windowMs: number): Promise<WindowResult>;
  /**
   * hitWindow plus a block: while `blockKey` exists every hit is refused uncounted; the hit over
   * `limit` sets `blockKey` = `blockValue` for `blockMs` (atomically, once) and resets the window.
   * Both keys must share a {hash tag} (Redis Cluster).
   */
  hitBlockingWindow(key: string, blockKey: string, limit: number, windowMs: number, blockMs: number, blockValue: string): Promise<BlockingWindowResult>;
  /** Hits currently in a hitWindow window, without counting one. */
  windowUsage(key: string, windowMs: number): Promise<WindowUsage>;
  /** Increments a counter, (re)setting its expiry only when the key is new; returns the value. */
  increment(key: string, ttlMs: number): Promise<number>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Sets the key only when it does not exist (SET NX); true when this call set it. */
  setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean>;
  /** Remaining time to live in ms; -1 without expiry; -2 when missing. */
  ttl(key: string): Promise<number>;
  del(key: string): Promise<void>;
  /** Keys starting with `prefix` (bounded scan; admin listings only). */
  keys(prefix: string): Promise<string[]>;
  /** Takes the lease when free or already ours; true when we hold it afterwards. */
  acquireLease(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up only if we hold it. */
  releaseLease(key: string, owner: string): Promise<void>;
  ping(): Promise<void>;
}
