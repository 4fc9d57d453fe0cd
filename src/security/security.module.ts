/**
 * Security (DESIGN.md §7): the one global throttling guard (IP protection + @RateLimit budgets on
 * @nestjs/throttler with our shared storage), abuse detection, and the ADMIN security endpoints.
 * Headers and CORS are wired in main.ts from ./http.
 */
import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config/config.service';
import { SecurityAdminController } from './admin/security-admin.controller';
import { IpProtectionService } from './ip-protection/ip-protection.service';
import { UnmatchedRouteLimiter } from './ip-protection/unmatched-route.limiter';
import { SecurityEventsService } from './security-events.service';
import { LimiterStoreModule } from './throttling/limiter-store.module';
import { RateLimitController } from './throttling/rate-limit.controller';
import { RateLimitService } from './throttling/rate-limit.service';
import { SharedThrottlerStorage } from './throttling/shared-throttler.storage';
import { ThrottlingGuard } from './throttling/throttling.guard';
import { throttlerOptions } from './throttling/throttlers';

@Global()
@Module({
  imports: [
    LimiterStoreModule,
    ThrottlerModule.forRootAsync({
      imports: [LimiterStoreModule],
      inject: [AppConfig, SharedThrottlerStorage],
      useFactory: throttlerOptions,
    }),
  ],
  controllers: [RateLimitController, SecurityAdminController],
  providers: [
    RateLimitService,
    SecurityEventsService,
    IpProtectionService,
    UnmatchedRouteLimiter,
    // Registered once, here (SecurityModule is imported before AuthModule, so this guard runs
    // before the auth guard). Never add it with @UseGuards as well: that would count twice.
    { provide: APP_GUARD, useClass: ThrottlingGuard },
  ],
  exports: [RateLimitService, SecurityEventsService, IpProtectionService],
})
export class SecurityModule {}
