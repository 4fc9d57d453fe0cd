/**
 * The shared limiter behind every budget, used by the HTTP throttling guard and the Socket.IO
 * gateway alike, so REST and socket calls draw from the same window: the key is
 * `<budget>:<subject>` with subject `user:<id>`, `ip:<addr>` or `ip:<addr>:email:<email>`.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import type { Logger } from 'pino';
import { AppConfig } from '../../config/config.service';
import type { RateBudget } from '../../config/config.schema';
import { DomainError } from '../../infra/http/domain-error';
import { LOGGER } from '../../infra/logging/logging.module';
import { StoreUnavailableError } from '../../infra/redis/resilient-store';
import { serviceUnavailable } from '../../infra/resilience/dependency-fault';
import { MetricsService } from '../../metrics/metrics.service';
import { SecurityEventsService } from '../security-events.service';
import type { RateLimitBudget } from './rate-limit.decorator';
import { ROUTE_THROTTLER, SharedThrottlerStorage } from './shared-throttler.storage';
import { rateLimitHeaders, userIdOf } from './subjects';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until a slot frees up (the oldest counted call leaves the window). */
  resetSeconds: number;
}

@Injectable()
export class RateLimitService {
  private readonly limitedTotal: Counter<'route'>;

  constructor(
    private readonly config: AppConfig,
    private readonly storage: SharedThrottlerStorage,
    private readonly events: SecurityEventsService,
    metrics: MetricsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.limitedTotal = metrics.counter('rate_limited_requests_total', 'Requests refused with 429 by a rate-limit budget, by route template', ['route']);
  }

  get enabled(): boolean {
    return this.config.get('ENABLE_RATE_LIMITING');
  }

  budget(name: RateLimitBudget): RateBudget {
    const key = `RATE_LIMIT_${name.toUpperCase()}` as 'RATE_LIMIT_DEPOSITS';
    return this.config.get(key);
  }

  /**
   * Counts one call against `budget` for `subject` (e.g. `user:<id>` or `ip:<addr>`). A refused
   * call is not counted, is reported as metric (label `route`: the route template, or
   * `socket:<budget>` by default) and, for a signed-in subject, as a RATE_LIMITED security event.
   * Throws 503 SERVICE_UNAVAILABLE only in fail-closed mode while Redis is unreachable.
   */
  async consume(name: RateLimitBudget, subject: string, route = `socket:${name}`): Promise<RateLimitDecision> {
    const { limit, windowMs } = this.budget(name);
    if (!this.enabled) return { allowed: true, limit, remaining: limit, resetSeconds: 0 };
    const record = await this.guardUnavailable(() => this.storage.increment(`${name}:${subject}`, windowMs, limit, windowMs, ROUTE_THROTTLER));
    const decision: RateLimitDecision = record.isBlocked
      ? { allowed: false, limit, remaining: 0, resetSeconds: record.timeToBlockExpire }
      : { allowed: true, limit, remaining: Math.max(0, limit - record.totalHits), resetSeconds: Math.max(1, record.timeToExpire) };
    if (!decision.allowed) {
      this.limitedTotal.inc({ route });
      const userId = userIdOf(subject);
      if (userId) {
        // Off the request path: abuse counting must not delay the 429.
        this.events.record(userId, 'RATE_LIMITED').catch((err: unknown) => this.logger.warn({ err: String(err) }, 'could not record security event'));
      }
    }
    return decision;
  }

  /** Where `subject` stands in `budget`, without counting a call. */
  async peek(name: RateLimitBudget, subject: string): Promise<RateLimitDecision> {
    const { limit, windowMs } = this.budget(name);
    if (!this.enabled) return { allowed: true, limit, remaining: limit, resetSeconds: 0 };
    const usage = await this.guardUnavailable(() => this.storage.usage(`${name}:${subject}`, windowMs));
    const remaining = Math.max(0, limit - usage.count);
    return { allowed: remaining > 0, limit, remaining, resetSeconds: Math.ceil(usage.resetMs / 1000) };
  }

  /** The 429 for a refused decision, with Retry-After and RateLimit-* headers. */
  static tooManyRequests(decision: RateLimitDecision): DomainError {
    return new DomainError('RATE_LIMIT_EXCEEDED', 429, `Rate limit exceeded; retry in ${decision.resetSeconds} s`, undefined, {
      'Retry-After': String(decision.resetSeconds),
      ...rateLimitHeaders(decision),
    });
  }

  private async guardUnavailable<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      // Fail-closed while Redis cannot answer: 503 with Retry-After (the shared classification).
      throw (err instanceof StoreUnavailableError ? serviceUnavailable(err) : undefined) ?? err;
    }
  }
}
