import { SetMetadata } from '@nestjs/common';

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
export const RateLimit = (budget: RateLimitBudget) => SetMetadata(RATE_LIMIT_KEY, budget);
