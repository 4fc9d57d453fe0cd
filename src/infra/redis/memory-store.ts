/** In-process SharedStore: single-instance mode and the local fallback while Redis is down. */
import type { BlockingWindowResult, SharedStore, WindowResult, WindowUsage } from './shared-store';
import { recordHit, windowUsage } from './sliding-window';

interface Entry {
  value: string;
  expiresAt: number | undefined;
}

export class MemoryStore implements SharedStore {
  readonly kind = 'memory' as const;
  private readonly values = new Map<string, Entry>();
  private readonly windows = new Map<string, { hits: number[]; expiresAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly clock: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), 10_000);
    this.sweeper.unref();
  }

  // Everything below runs synchronously between awaits, so each call is atomic in this process.
  async hitWindow(key: string, limit: number, windowMs: number): Promise<WindowResult> {
    return this.hitWindowNow(key, limit, windowMs, this.clock());
  }

  async hitBlockingWindow(
    key: string,
    blockKey: string,
    limit: number,
    windowMs: number,
    blockMs: number,
    blockValue: string,
  ): Promise<BlockingWindowResult> {
    const now = this.clock();
    const block = this.live(blockKey);
    if (block) {
      return { blocked: true, blockedNow: false, count: 0, resetMs: block.expiresAt === undefined ? blockMs : block.expiresAt - now };
    }
    const hit = this.hitWindowNow(key, limit, windowMs, now);
    if (hit.allowed) return { blocked: false, blockedNow: false, count: hit.count, resetMs: 0 };
    this.values.set(blockKey, { value: blockValue, expiresAt: now + blockMs });
    this.windows.delete(key);
    return { blocked: true, blockedNow: true, count: hit.count, resetMs: blockMs };
  }

  async windowUsage(key: string, windowMs: number): Promise<WindowUsage> {
    const now = this.clock();
    const current = this.windows.get(key);
    return current && current.expiresAt > now ? windowUsage(current.hits, now, windowMs) : { count: 0, resetMs: 0 };
  }

  private hitWindowNow(key: string, limit: number, windowMs: number, now: number): WindowResult {
    let current = this.windows.get(key);
    if (!current || current.expiresAt <= now) {
      current = { hits: [], expiresAt: 0 };
      this.windows.set(key, current);
    }
    const decision = recordHit(current.hits, now, limit, windowMs);
    current.expiresAt = now + windowMs;
    return decision;
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    const entry = this.live(key);
    const next = (entry ? Number(entry.value) : 0) + 1;
    this.values.set(key, { value: String(next), expiresAt: entry?.expiresAt ?? this.clock() + ttlMs });
    return next;
  }

  async get(key: string): Promise<string | null> {
    return this.live(key)?.value ?? null;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.values.set(key, { value, expiresAt: ttlMs ? this.clock() + ttlMs : undefined });
  }

  async setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    if (this.live(key)) return false;
    await this.set(key, value, ttlMs);
    return true;
  }

  async ttl(key: string): Promise<number> {
    const entry = this.live(key);
    if (!entry) return -2;
    return entry.expiresAt === undefined ? -1 : entry.expiresAt - this.clock();
  }

  async del(key: string): Promise<void> {
    this.values.delete(key);
    this.windows.delete(key);
  }

  async keys(prefix: string): Promise<string[]> {
    return [...this.values.keys()].filter((k) => k.startsWith(prefix) && this.live(k));
  }

  async acquireLease(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const entry = this.live(key);
    if (entry && entry.value !== owner) return false;
    this.values.set(key, { value: owner, expiresAt: this.clock() + ttlMs });
    return true;
  }

  async releaseLease(key: string, owner: string): Promise<void> {
    if (this.live(key)?.value === owner) this.values.delete(key);
  }

  async ping(): Promise<void> {}

  private live(key: string): Entry | undefined {
    const entry = this.values.get(key);
    if (entry && entry.expiresAt !== undefined && entry.expiresAt <= this.clock()) {
      this.values.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = this.clock();
    for (const [k, e] of this.values) if (e.expiresAt !== undefined && e.expiresAt <= now) this.values.delete(k);
    for (const [k, w] of this.windows) if (w.expiresAt <= now) this.windows.delete(k);
  }
}
