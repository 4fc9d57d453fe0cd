import { Global, Module } from '@nestjs/common';
import { DegradationRegistry } from './degradation.registry';

@Global()
@Module({ providers: [DegradationRegistry], exports: [DegradationRegistry] })
export class ResilienceModule {}
