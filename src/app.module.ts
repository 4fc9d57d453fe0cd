import { type DynamicModule, Module } from '@nestjs/common';
import type { Config } from './config/config.schema';
import { ConfigModule } from './config/config.module';
import { LoggingModule } from './infra/logging/logging.module';
import { LifecycleModule } from './infra/lifecycle/lifecycle.module';
import { DatabaseModule } from './infra/database/database.module';
import { RedisModule } from './infra/redis/redis.module';
import { ResilienceModule } from './infra/resilience/resilience.module';
import { MetricsModule } from './metrics/metrics.module';
import { HealthModule } from './health/health.module';
import { AuthModule } from './auth/auth.module';
import { RevocationModule } from './auth/revocation/revocation.module';
import { UsersModule } from './users/users.module';
import { MailModule } from './infra/mail/mail.module';
import { AuditModule } from './security/audit/audit.module';
import { SecurityModule } from './security/security.module';
import { AuctionsModule } from './auctions/auctions.module';
import { TransactionsModule } from './transactions/transactions.module';
import { RetentionModule } from './infra/retention/retention.module';

@Module({})
export class AppModule {
  static register(config: Config): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule,
        LoggingModule,
        LifecycleModule,
        MetricsModule.register(config.ENABLE_METRICS),
        ResilienceModule,
        DatabaseModule,
        RedisModule,
        MailModule,
        AuditModule,
        SecurityModule,
        RevocationModule,
        AuthModule,
        UsersModule,
        HealthModule,
        AuctionsModule,
        TransactionsModule,
        RetentionModule,
      ],
    };
  }
}
