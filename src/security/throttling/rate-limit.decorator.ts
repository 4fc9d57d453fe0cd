import { SetMetadata } from '@nestjs/common';

/** The per-route budgets of DESIGN.md §7, configured as RATE_LIMIT_<NAME> ("limit/seconds"). */
export const RATE_LIMIT_BUDGETS = ['deposits', 'withdrawals', 'transfers', 'leagues', 'bids', 'signin'] as const;
export type RateLimitBudget = (typeof RATE_LIMIT_BUDGETS)[number];

export const RATE_LIMIT_KEY = 'bulwark:rateLimit';
/** Puts a route under a named budget, keyed by user id when signed in, else client IP. */
export const RateLimit = (budget: RateLimitBudget) => SetMetadata(RATE_LIMIT_KEY, budget);
