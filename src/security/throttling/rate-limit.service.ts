/**
 * The shared limiter behind every budget, used by the HTTP throttler guard and the Socket.IO
 * gateway alike, so REST and socket calls draw from the same window.
 */
import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/config.service';
import { SHARED_STORE } from '../../infra/redis/redis.module';
import type { SharedStore } from '../../infra/redis/shared-store';
import type { RateBudget } from '../../config/config.schema';
import type { RateLimitBudget } from './rate-limit.decorator';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until a slot frees up. */
  resetSeconds: number;
}

@Injectable()
export class RateLimitService {
  constructor(
    private readonly config: AppConfig,
    @Inject(SHARED_STORE) private readonly store: SharedStore,
  ) {}

  get enabled(): boolean {
    return this.config.get('ENABLE_RATE_LIMITING');
  }

  budget(name: RateLimitBudget): RateBudget {
    const key = `RATE_LIMIT_${name.toUpperCase()}` as 'RATE_LIMIT_DEPOSITS';
    return this.config.get(key);
  }

  /** Counts one call against `budget` for `subject` (e.g. `user:<id>` or `ip:<addr>`). */
  async consume(name: RateLimitBudget, subject: string): Promise<RateLimitDecision> {
    const { limit, windowMs } = this.budget(name);
    if (!this.enabled) return { allowed: true, limit, remaining: limit, resetSeconds: 0 };
    const res = await this.store.hitWindow(`rl:${name}:${subject}`, limit, windowMs);
    return {
      allowed: res.allowed,
      limit,
      remaining: Math.max(0, limit - res.count),
      resetSeconds: Math.max(1, Math.ceil(res.resetMs / 1000)),
    };
  }
}
