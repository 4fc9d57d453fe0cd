import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';

/**
 * The per-route budgets of DESIGN.md §7, configured as RATE_LIMIT_<NAME> ("limit/seconds"),
 * plus `status`: the budget of GET /api/v1/security/rate-limit itself.
 */
export const RATE_LIMIT_BUDGETS = ['deposits', 'withdrawals', 'transfers', 'leagues', 'bids', 'signin', 'status'] as const;
export type RateLimitBudget = (typeof RATE_LIMIT_BUDGETS)[number];

export const RATE_LIMIT_KEY = 'bulwark:rateLimit';
/**
 * Puts a route under a named budget, keyed by user id when a valid access token is sent, else by
 * client IP (`signin`: by client IP and the body's email). Counted by the global throttling guard;
 * routes without it are only subject to IP protection.
 */
export const RateLimit = (budget: RateLimitBudget) =>
  applyDecorators(
    SetMetadata(RATE_LIMIT_KEY, budget),
    // The OpenAPI document adds Retry-After and RateLimit-* to the answers of operations with a 429.
    ApiTooManyRequestsResponse({ description: `RATE_LIMIT_EXCEEDED: the \`${budget}\` budget is spent (Retry-After, RateLimit-*)` }),
  );
