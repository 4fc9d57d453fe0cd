import { Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '../../config/config.service';
import { LOGGER } from '../logging/logging.module';
import { BreakerFactory } from './breaker.factory';
import { DegradationRegistry } from './degradation.registry';
import { OutageLog } from './outage-log';

@Global()
@Module({
  providers: [
    DegradationRegistry,
    BreakerFactory,
    {
      provide: OutageLog,
      useFactory: (logger: Logger, config: AppConfig) => new OutageLog(logger, config.get('OUTAGE_LOG_INTERVAL_MS')),
      inject: [LOGGER, AppConfig],
    },
  ],
  exports: [DegradationRegistry, BreakerFactory, OutageLog],
})
export class ResilienceModule {}
