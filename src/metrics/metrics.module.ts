import { DynamicModule, Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/** MetricsService is always there (code records into it); /metrics only when ENABLE_METRICS. */
@Global()
@Module({})
export class MetricsModule {
  static register(exposeEndpoint: boolean): DynamicModule {
    return {
      module: MetricsModule,
      controllers: exposeEndpoint ? [MetricsController] : [],
      providers: [MetricsService],
      exports: [MetricsService],
    };
  }
}
