/**
 * GET /api/v1/security/rate-limit: the caller's own budgets (remaining calls per budget), so a
 * client can pace itself instead of discovering limits by 429s. Limited itself by the `status`
 * budget (RATE_LIMIT_STATUS), which its answer includes after counting this call.
 */
import { Controller, Get, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { AuthUser } from '../../auth/auth-user';
import { CurrentUser } from '../../auth/decorators/current-user.decorator';
import { RateLimitService } from './rate-limit.service';
import { RATE_LIMIT_BUDGETS, RateLimit } from './rate-limit.decorator';
import { BudgetStatusDto, RateLimitStatusDto, RateLimitStatusQueryDto } from './dto/rate-limit-status.dto';
import { signinSubject, userSubject } from './subjects';
import { clientIp } from './throttlers';
import { VALIDATE } from '../../infra/http/validation-pipe';

@ApiTags('security')
@ApiBearerAuth()
@Controller('api/v1/security')
export class RateLimitController {
  constructor(private readonly rateLimits: RateLimitService) {}

  @Get('rate-limit')
  @RateLimit('status')
  @ApiOperation({ summary: 'Your remaining calls per rate-limit budget (counts one call against the `status` budget)' })
  @ApiOkResponse({ type: RateLimitStatusDto })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMIT_EXCEEDED, with Retry-After and RateLimit-* headers' })
  async status(@CurrentUser() user: AuthUser, @Query(VALIDATE) query: RateLimitStatusQueryDto, @Req() req: FastifyRequest): Promise<RateLimitStatusDto> {
    const names = query.budget ? [query.budget] : [...RATE_LIMIT_BUDGETS];
    const budgets = await Promise.all(
      names.map(async (budget): Promise<BudgetStatusDto> => {
        const signin = budget === 'signin';
        const subject = signin ? signinSubject(clientIp(req), user.email) : userSubject(user.id);
        const state = await this.rateLimits.peek(budget, subject);
        const { windowMs } = this.rateLimits.budget(budget);
        return {
          budget,
          limit: state.limit,
          windowSeconds: windowMs / 1000,
          remaining: state.remaining,
          resetSeconds: state.resetSeconds,
          countedBy: signin ? 'ip+email' : 'user',
        };
      }),
    );
    return { enabled: this.rateLimits.enabled, budgets };
  }
}
