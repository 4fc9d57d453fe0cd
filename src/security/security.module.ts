import { Global, Module } from '@nestjs/common';
import { RateLimitService } from './throttling/rate-limit.service';
import { SecurityEventsService } from './security-events.service';

@Global()
@Module({
  providers: [RateLimitService, SecurityEventsService],
  exports: [RateLimitService, SecurityEventsService],
})
export class SecurityModule {}
