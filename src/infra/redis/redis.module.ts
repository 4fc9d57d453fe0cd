/**
 * Provides the SharedStore: Redis-backed when REDIS_URL is set, in-process otherwise
 * (logged once at WARN as single-instance mode).
 */
import { Global, Inject, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/config.service';
import { LOGGER } from '../logging/logging.module';
import { MemoryStore } from './memory-store';
import { RedisFactory } from './redis.factory';
import { RedisStore } from './redis-store';

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
        { redis: this.config.singleInstance ? 'in-process' : 'shared', database: this.config.get('DATABASE_URL') ? 'external' : 'embedded' },
        'single-instance mode: state is kept in this process; do not run more than one replica',
      );
    }
  }
}

@Global()
@Module({
  providers: [
    RedisFactory,
    SingleInstanceNotice,
    {
      provide: SHARED_STORE,
      // Depends on DataSource only to open after it: shutdown closes in reverse order (Redis, then the pool).
      inject: [RedisFactory, DataSource],
      useFactory: async (factory: RedisFactory) => {
        if (!factory.enabled) return new MemoryStore();
        const client = factory.create({ name: 'store' });
        await RedisFactory.waitReady(client, 3_000);
        return new RedisStore(client);
      },
    },
  ],
  exports: [RedisFactory, SHARED_STORE],
})
export class RedisModule {}
