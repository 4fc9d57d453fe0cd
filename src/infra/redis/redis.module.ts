/**
 * Provides the SharedStore: Redis-backed when REDIS_URL is set, in-process otherwise
 * (logged once at WARN as single-instance mode). The Redis-backed store is wrapped in a
 * ResilientStore: while Redis is unreachable, counters fall back to this process (reported as
 * the degraded feature `shared-state`) and leases fail fast.
 */
import { Global, Inject, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/config.service';
import { LOGGER } from '../logging/logging.module';
import { BreakerFactory } from '../resilience/breaker.factory';
import { DegradationRegistry } from '../resilience/degradation.registry';
import { MemoryStore } from './memory-store';
import { RedisFactory } from './redis.factory';
import { RedisStore } from './redis-store';
import { ResilientStore } from './resilient-store';
import { RedisTopologyMonitor } from './redis-topology.monitor';

export const SHARED_STORE = Symbol('SHARED_STORE');

@Injectable()
class SingleInstanceNotice implements OnApplicationBootstrap {
  constructor(
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}
  onApplicationBootstrap(): void {
    if (this.config.singleInstance || !this.config.get('DATABASE_URL')) {
      this.logger.warn(
        {
          redis: this.config.singleInstance ? 'in-process' : 'shared',
          database: this.config.get('DATABASE_URL') ? 'external' : 'embedded',
        },
        'single-instance mode: state is kept in this process; do not run more than one replica',
      );
    }
  }
}

@Global()
@Module({
  providers: [
    RedisFactory,
    RedisTopologyMonitor,
    SingleInstanceNotice,
    {
      provide: SHARED_STORE,
      // Depends on DataSource only to open after it: shutdown closes in reverse order (Redis, then the pool).
      inject: [RedisFactory, DataSource, AppConfig, DegradationRegistry, LOGGER, BreakerFactory, RedisTopologyMonitor],
      useFactory: async (
        factory: RedisFactory,
        _ds: DataSource,
        config: AppConfig,
        degradation: DegradationRegistry,
        logger: Logger,
        breakers: BreakerFactory,
        monitor: RedisTopologyMonitor,
      ) => {
        if (!factory.enabled) return new MemoryStore();
        const client = factory.create({ name: 'store', watchesTopology: true });
        monitor.watch(client);
        await RedisFactory.waitReady(client, 3_000);
        const redisStore = new RedisStore(client, factory.names.keyPrefix);
        await redisStore.loadScripts();
        const store = new ResilientStore(redisStore, new MemoryStore(), {
          deadlineMs: config.get('REDIS_STORE_TIMEOUT_MS'),
          isConnected: () => client.status === 'ready',
          onStateChange: (available, reason) =>
            available
              ? logger.info({ store: 'shared' }, 'shared store: redis answers again; shared counters resumed')
              : logger.warn(
                  { store: 'shared', reason },
                  'shared store: redis unavailable; counters fall back to this process',
                ),
        });
        breakers.registerExternal('redis', () => store.breakerState());
        degradation.registerFeature('shared-state', () => {
          const reason = store.unavailableReason();
          return reason && `${reason}: lockout, abuse and other shared counters are kept per replica`;
        });
        return store;
      },
    },
  ],
  exports: [RedisFactory, SHARED_STORE, RedisTopologyMonitor],
})
export class RedisModule {}
