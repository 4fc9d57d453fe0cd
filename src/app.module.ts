import { Module } from '@nestjs/common';
import { AppConfig } from './config/config.service';
import { ConfigModule } from './config/config.module';
import { LoggingModule } from './infra/logging/logging.module';
import { LifecycleModule } from './infra/lifecycle/lifecycle.module';
import { DatabaseModule } from './infra/database/database.module';
import { RedisModule } from './infra/redis/redis.module';
import { ResilienceModule } from './infra/resilience/resilience.module';
import { MetricsModule } from './metrics/metrics.module';
import { HealthModule } from './health/health.module';
import { AuthModule } from './auth/auth.module';
import { AuditModule } from './security/audit/audit.module';

@Module({
  imports: [
    ConfigModule,
    LoggingModule,
    LifecycleModule,
    MetricsModule.register(AppConfig.load().ENABLE_METRICS),
    ResilienceModule,
    DatabaseModule,
    RedisModule,
    AuditModule,
    AuthModule,
    HealthModule,
  ],
})
export class AppModule {}
