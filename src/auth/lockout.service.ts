/**
 * Account lockout (DESIGN.md §4): LOCKOUT_THRESHOLD failed sign-ins ("5/900": 5 in 15 min, a
 * sliding window) lock the email for LOCKOUT_DURATION_S. Counted in the SharedStore, so every
 * replica sees the same count and the same lock. Keyed by a hash of the lower-cased email, known
 * account or not, so a lock does not reveal whether an account exists. If Redis cannot be
 * reached, lockout is not enforced for that attempt (sign-in stays available; argon2 and the
 * sign-in throttle still slow guessing) and the feature is reported degraded.
 */
import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { AppConfig } from '../config/config.service';
import { LOGGER } from '../infra/logging/logging.module';
import { SHARED_STORE } from '../infra/redis/redis.module';
import type { SharedStore } from '../infra/redis/shared-store';
import { DegradationRegistry } from '../infra/resilience/degradation.registry';

export interface FailureOutcome {
  /** The email is locked now. */
  locked: boolean;
  /** This very failure locked it (exactly one request sees this). */
  justLocked: boolean;
  retryAfterSeconds: number;
}

const DEGRADED_FOR_MS = 30_000;

@Injectable()
export class LockoutService {
  private lastStoreError = 0;

  constructor(
    private readonly config: AppConfig,
    @Inject(SHARED_STORE) private readonly store: SharedStore,
    @Inject(LOGGER) private readonly logger: Logger,
    degradation: DegradationRegistry,
  ) {
    degradation.registerFeature('account-lockout', () =>
      Date.now() - this.lastStoreError < DEGRADED_FOR_MS ? 'shared store unreachable: failed sign-ins are not counted' : undefined,
    );
  }

  private keys(email: string): { failures: string; lock: string } {
    const id = createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 32);
    return { failures: `lockout:fail:${id}`, lock: `lockout:lock:${id}` };
  }

  /** Seconds left on the email's lock; 0 when it is not locked. */
  async lockedForSeconds(email: string): Promise<number> {
    const ttl = await this.guard(() => this.store.ttl(this.keys(email).lock), -2);
    if (ttl === -2) return 0;
    return ttl === -1 ? this.config.get('LOCKOUT_DURATION_S') : Math.max(1, Math.ceil(ttl / 1000));
  }

  async registerFailure(email: string): Promise<FailureOutcome> {
    const { limit, windowMs } = this.config.get('LOCKOUT_THRESHOLD');
    const duration = this.config.get('LOCKOUT_DURATION_S');
    const keys = this.keys(email);
    const hit = await this.guard(() => this.store.hitWindow(keys.failures, limit, windowMs), undefined);
    if (!hit) return { locked: false, justLocked: false, retryAfterSeconds: 0 };
    // The window admits `limit` hits: the one that fills it locks; any beyond it raced the lock.
    const justLocked = hit.allowed && hit.count >= limit;
    if (justLocked) {
      await this.guard(async () => {
        await this.store.set(keys.lock, '1', duration * 1000);
        await this.store.del(keys.failures);
      }, undefined);
    }
    if (justLocked || !hit.allowed) return { locked: true, justLocked, retryAfterSeconds: duration };
    // A failure that raced the locking one (it passed the lock check just before the lock was
    // set, and counted just after the window was cleared) must still see the lock.
    const lockTtl = await this.guard(() => this.store.ttl(keys.lock), -2);
    if (lockTtl !== -2) return { locked: true, justLocked: false, retryAfterSeconds: lockTtl > 0 ? Math.ceil(lockTtl / 1000) : duration };
    return { locked: false, justLocked: false, retryAfterSeconds: 0 };
  }

  /** A successful sign-in forgives earlier failures. */
  async clearFailures(email: string): Promise<void> {
    await this.guard(() => this.store.del(this.keys(email).failures), undefined);
  }

  /** A completed password reset proves ownership: failures and any lock are lifted. */
  async unlock(email: string): Promise<void> {
    const keys = this.keys(email);
    await this.guard(async () => {
      await this.store.del(keys.failures);
      await this.store.del(keys.lock);
    }, undefined);
  }

  private async guard<T>(op: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (Date.now() - this.lastStoreError > DEGRADED_FOR_MS) this.logger.warn({ err: String(err) }, 'lockout store unreachable: not enforcing lockout');
      this.lastStoreError = Date.now();
      return fallback;
    }
  }
}
