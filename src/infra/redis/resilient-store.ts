/**
 * A SharedStore that keeps serving while Redis is unreachable. Every call to Redis runs under a
 * deadline; a failed call falls back, a few failures in a row (or a disconnected client) mark
 * Redis unavailable and later calls go straight to an in-process fallback (no request waits on
 * Redis retries). A background probe pings Redis and
 * switches back by itself when it answers, so shared state resumes without a restart.
 *
 * Counters and windows fall back (approximate, per replica). Leases never do: two replicas both
 * holding "the" lease is worse than none holding it, so lease calls fail fast instead.
 * Pure (no Nest imports): unit-tested with fake stores.
 */
import type { BlockingWindowResult, SharedStore, WindowResult, WindowUsage } from './shared-store';

export class StoreUnavailableError extends Error {
  constructor(reason: string) {
    super(`shared store unavailable: ${reason}`);
    this.name = 'StoreUnavailableError';
  }
}

export interface ResilientStoreOptions {
  /** Deadline of every call to the primary (ms). */
  deadlineMs: number;
  /** How often to ping the primary while it is marked unavailable (ms). */
  probeIntervalMs?: number;
  /**
   * Consecutive failed calls (errors or missed deadlines) before the primary is marked
   * unavailable; until then each failed call alone falls back. A disconnected client counts as
   * unavailable at once. Default 3.
   */
  failuresBeforeUnavailable?: number;
  /** False while the client knows it is disconnected (e.g. ioredis status !== 'ready'). */
  isConnected?: () => boolean;
  /** Called when the primary becomes unavailable (with the reason) or available again. */
  onStateChange?: (available: boolean, reason?: string) => void;
}

/** What to do when Redis cannot answer: use the local fallback, or fail fast. */
export type UnavailablePolicy = 'fallback' | 'fail';

/**
 * Rejects when `work` has not settled `ms` after the call. The rejection waits one more turn of
 * the event loop (setImmediate, after the I/O poll phase): when the loop was busy, the timer and
 * the already-received answer become due together, and timers run before I/O callbacks, so
 * without this a busy process would blame Redis for its own lag.
 */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  // One promise and one timer per call (no race/finally chain): this wraps every limiter call.
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (settled) return;
          settled = true;
          reject(new Error(`no answer within ${ms} ms`));
        }),
      ms,
    );
    work.then(
      (value) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        reject(err);
      },
    );
  });
}

export class ResilientStore implements SharedStore {
  readonly kind: 'redis' | 'memory';
  private failure: string | undefined;
  private consecutiveFailures = 0;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;

  /** `primary` undefined = single-instance mode: the fallback is the store, never "degraded". */
  constructor(
    private readonly primary: SharedStore | undefined,
    readonly fallback: SharedStore,
    private readonly opts: ResilientStoreOptions,
  ) {
    this.kind = primary ? primary.kind : fallback.kind;
  }

  /** Why shared state is not available right now; undefined while it is (or in single-instance mode). */
  unavailableReason(): string | undefined {
    if (!this.primary) return undefined;
    if (this.opts.isConnected && !this.opts.isConnected()) return 'redis is not connected';
    return this.failure;
  }

  /**
   * The store seen as a circuit breaker around Redis: open while calls go to the fallback,
   * half-open while a probe is testing Redis, closed while Redis serves.
   */
  breakerState(): 'closed' | 'halfOpen' | 'open' {
    if (this.unavailableReason() === undefined) return 'closed';
    return this.probing ? 'halfOpen' : 'open';
  }

  get available(): boolean {
    return this.primary !== undefined && this.unavailableReason() === undefined;
  }

  /** Runs `op` on Redis under the deadline; when Redis cannot answer, on the fallback or fails fast. */
  async run<T>(op: (store: SharedStore) => Promise<T>, policy: UnavailablePolicy = 'fallback'): Promise<T> {
    if (!this.primary) return op(this.fallback);
    if (this.available) {
      try {
        const result = await withDeadline(op(this.primary), this.opts.deadlineMs);
        this.consecutiveFailures = 0;
        return result;
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        if (++this.consecutiveFailures >= (this.opts.failuresBeforeUnavailable ?? 3)) this.markUnavailable(reason);
        if (policy === 'fail') throw new StoreUnavailableError(reason);
        return op(this.fallback);
      }
    }
    if (policy === 'fail') throw new StoreUnavailableError(this.unavailableReason() ?? 'unknown');
    return op(this.fallback);
  }

  hitWindow(key: string, limit: number, windowMs: number): Promise<WindowResult> {
    return this.run((s) => s.hitWindow(key, limit, windowMs));
  }

  hitBlockingWindow(
    key: string,
    blockKey: string,
    limit: number,
    windowMs: number,
    blockMs: number,
    blockValue: string,
  ): Promise<BlockingWindowResult> {
    return this.run((s) => s.hitBlockingWindow(key, blockKey, limit, windowMs, blockMs, blockValue));
  }

  windowUsage(key: string, windowMs: number): Promise<WindowUsage> {
    return this.run((s) => s.windowUsage(key, windowMs));
  }

  increment(key: string, ttlMs: number): Promise<number> {
    return this.run((s) => s.increment(key, ttlMs));
  }

  get(key: string): Promise<string | null> {
    return this.run((s) => s.get(key));
  }

  set(key: string, value: string, ttlMs?: number): Promise<void> {
    return this.run((s) => s.set(key, value, ttlMs));
  }

  setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    return this.run((s) => s.setIfAbsent(key, value, ttlMs));
  }

  ttl(key: string): Promise<number> {
    return this.run((s) => s.ttl(key));
  }

  del(key: string): Promise<void> {
    return this.run((s) => s.del(key));
  }

  keys(prefix: string): Promise<string[]> {
    return this.run((s) => s.keys(prefix));
  }

  acquireLease(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.run((s) => s.acquireLease(key, owner, ttlMs), 'fail');
  }

  releaseLease(key: string, owner: string): Promise<void> {
    return this.run((s) => s.releaseLease(key, owner), 'fail');
  }

  /** Pings Redis itself (never the fallback): health checks must see the outage. */
  async ping(): Promise<void> {
    if (!this.primary) return;
    await withDeadline(this.primary.ping(), this.opts.deadlineMs);
  }

  /** Stops the probe (shutdown, tests). */
  close(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  private markUnavailable(reason: string): void {
    if (this.failure !== undefined) return;
    this.failure = reason;
    this.opts.onStateChange?.(false, reason);
    this.probeTimer = setInterval(() => void this.probe(), this.opts.probeIntervalMs ?? 250);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    if (this.probing || !this.primary) return;
    if (this.opts.isConnected && !this.opts.isConnected()) return;
    this.probing = true;
    try {
      await withDeadline(this.primary.ping(), this.opts.deadlineMs);
      this.failure = undefined;
      this.consecutiveFailures = 0;
      this.close();
      this.opts.onStateChange?.(true);
    } catch {
      /* still unavailable: try again on the next tick */
    } finally {
      this.probing = false;
    }
  }
}
