/**
 * The limiter's store. With REDIS_URL it has its OWN ioredis client (no offline queue, one retry,
 * command timeout RATE_LIMIT_REDIS_TIMEOUT_MS, auto-pipelining), wrapped in a ResilientStore
 * whose deadline is the same timeout: no request waits on Redis retries, and limiting switches to
 * this replica's memory (fail-open) or to 503 on limited routes (fail-closed) until Redis answers
 * again, then resumes sharing by itself. The state is reported as the degraded feature
 * `throttling` on /health/check.
 */
import { Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '../../config/config.service';
import { LOGGER } from '../../infra/logging/logging.module';
import { MemoryStore } from '../../infra/redis/memory-store';
import { RedisFactory } from '../../infra/redis/redis.factory';
import { SHARED_STORE } from '../../infra/redis/redis.module';
import { RedisStore } from '../../infra/redis/redis-store';
import { ResilientStore } from '../../infra/redis/resilient-store';
import { BreakerFactory } from '../../infra/resilience/breaker.factory';
import { DegradationRegistry } from '../../infra/resilience/degradation.registry';
import { LIMITER_STORE } from './limiter-store.token';
import { SharedThrottlerStorage } from './shared-throttler.storage';

async function createLimiterStore(
  factory: RedisFactory,
  config: AppConfig,
  degradation: DegradationRegistry,
  logger: Logger,
  breakers: BreakerFactory,
): Promise<ResilientStore> {
  if (!factory.enabled) return new ResilientStore(undefined, new MemoryStore(), { deadlineMs: 0 });
  const timeoutMs = config.get('RATE_LIMIT_REDIS_TIMEOUT_MS');
  const client = factory.create({ name: 'limiter', commandTimeoutMs: timeoutMs, autoPipelining: true });
  await RedisFactory.waitReady(client, 3_000);
  const failMode = config.get('RATE_LIMIT_FAIL_MODE');
  const redisStore = new RedisStore(client, factory.names.keyPrefix);
  await redisStore.loadScripts();
  const store = new ResilientStore(redisStore, new MemoryStore(), {
    deadlineMs: timeoutMs,
    isConnected: () => client.status === 'ready',
    onStateChange: (available, reason) =>
      available
        ? logger.info({ store: 'limiter' }, 'throttling: redis answers again; limits are shared across replicas again')
        : logger.warn({ store: 'limiter', reason, failMode }, 'throttling: redis unavailable; falling back'),
  });
  breakers.registerExternal('redis-limiter', () => store.breakerState());
  degradation.registerFeature('throttling', () => {
    const reason = store.unavailableReason();
    if (!reason) return undefined;
    return failMode === 'open'
      ? `${reason}: limits are enforced per replica from local memory (fail-open)`
      : `${reason}: rate-limited routes answer 503 (fail-closed); IP protection is per replica`;
  });
  return store;
}

@Module({
  providers: [
    {
      provide: LIMITER_STORE,
      // SHARED_STORE is injected only to open after it: shutdown closes clients in reverse order.
      inject: [RedisFactory, AppConfig, DegradationRegistry, LOGGER, BreakerFactory, SHARED_STORE],
      useFactory: (
        factory: RedisFactory,
        config: AppConfig,
        degradation: DegradationRegistry,
        logger: Logger,
        breakers: BreakerFactory,
      ) => createLimiterStore(factory, config, degradation, logger, breakers),
    },
    SharedThrottlerStorage,
  ],
  exports: [LIMITER_STORE, SharedThrottlerStorage],
})
export class LimiterStoreModule {}
