/**
 * A money request over its budget that carries an Idempotency-Key is let through the throttling
 * guard with its 429 attached instead of being refused there: if the key already holds an
 * answer, the client is retrying a request that happened (typically after a 503 whose commit
 * went through, the first attempt having spent the budget's last call), and it gets that answer
 * replayed, which moves no money. Anything else (a new key, or one with no recorded answer) gets
 * the attached 429. IdempotencyService.execute decides; the guard only attaches, and only for
 * handlers marked @ReplaysOverBudget() (which must pass budgetRefusalOf(request) to the use case:
 * an unmarked handler keeps the plain 429, so forgetting the mark can never lift a budget).
 */
import { SetMetadata } from '@nestjs/common';
import type { DomainError } from '../../infra/http/domain-error';

export const REPLAYS_OVER_BUDGET_KEY = 'bulwark:replaysOverBudget';

/** The handler answers a keyed request over its budget from the key's record (see above). */
export const ReplaysOverBudget = () => SetMetadata(REPLAYS_OVER_BUDGET_KEY, true);

const BUDGET_REFUSAL = Symbol('bulwarkBudgetRefusal');

type Carrier = { [BUDGET_REFUSAL]?: DomainError };

export function attachBudgetRefusal(request: object, refusal: DomainError): void {
  (request as Carrier)[BUDGET_REFUSAL] = refusal;
}

/** The 429 the request earned, when it was let through only to be replayed. */
export function budgetRefusalOf(request: object): DomainError | undefined {
  return (request as Carrier)[BUDGET_REFUSAL];
}
