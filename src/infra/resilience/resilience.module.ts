import { Global, Module } from '@nestjs/common';
import { BreakerFactory } from './breaker.factory';
import { DegradationRegistry } from './degradation.registry';

@Global()
@Module({ providers: [DegradationRegistry, BreakerFactory], exports: [DegradationRegistry, BreakerFactory] })
export class ResilienceModule {}
