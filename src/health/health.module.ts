import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ComponentIndicators } from './component.indicators';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [HealthController],
  providers: [ComponentIndicators],
})
export class HealthModule {}
