/**
 * refusedMovedNothing's rule (soak/checker.ts): which refused movements prove that nothing moved
 * under their key. Seed 20261203 (Sentinel, 3 replicas) found the case that needed it: a deposit
 * whose commit was cut off by a network drop (503, outcome unknown) was retried with its key and
 * refused 429, its budget spent by the first attempt, while that first attempt had committed.
 */
import type { Attempt, OpRecord } from '../../soak/client';
import { refusalRulesOutMovement } from '../../soak/checker';

let clock = 0;
const attempt = (status?: number, code?: string, error?: string): Attempt => ({
  replica: 'replica-1',
  start: ++clock,
  end: ++clock,
  ...(status !== undefined ? { status } : {}),
  ...(code ? { code } : {}),
  ...(error ? { error } : {}),
});
const deposit = (...attempts: Attempt[]): OpRecord => {
  const last = attempts[attempts.length - 1];
  return {
    id: 1,
    kind: 'deposit',
    method: 'POST',
    path: '/api/v1/deposits',
    userId: 'u1',
    start: attempts[0].start,
    end: last.end,
    status: last.status,
    code: last.code,
    attempts,
    key: 'k1',
  };
};

describe('refusalRulesOutMovement', () => {
  it('counts a refusal of the use case as proof, whatever came before (a committed key is replayed, not refused)', () => {
    expect(refusalRulesOutMovement(deposit(attempt(409, 'INSUFFICIENT_FUNDS')))).toBe(true);
    expect(
      refusalRulesOutMovement(deposit(attempt(503, 'SERVICE_UNAVAILABLE'), attempt(409, 'INSUFFICIENT_FUNDS'))),
    ).toBe(true);
    expect(
      refusalRulesOutMovement(deposit(attempt(undefined, undefined, 'TimeoutError'), attempt(404, 'NOT_FOUND'))),
    ).toBe(true);
    expect(refusalRulesOutMovement(deposit(attempt(422, 'IDEMPOTENCY_KEY_REUSED')))).toBe(true);
  });

  it('counts a guard refusal as proof only when no earlier attempt may have committed', () => {
    expect(refusalRulesOutMovement(deposit(attempt(429, 'RATE_LIMIT_EXCEEDED')))).toBe(true);
    expect(refusalRulesOutMovement(deposit(attempt(403, 'IP_BLOCKED')))).toBe(true);
    // Refused connections sent nothing.
    expect(
      refusalRulesOutMovement(
        deposit(attempt(undefined, undefined, 'ECONNREFUSED'), attempt(429, 'RATE_LIMIT_EXCEEDED')),
      ),
    ).toBe(true);
    // The soak's case, and the other ways an attempt's outcome stays unknown.
    expect(
      refusalRulesOutMovement(deposit(attempt(503, 'SERVICE_UNAVAILABLE'), attempt(429, 'RATE_LIMIT_EXCEEDED'))),
    ).toBe(false);
    expect(
      refusalRulesOutMovement(deposit(attempt(undefined, undefined, 'ECONNRESET'), attempt(401, 'UNAUTHORIZED'))),
    ).toBe(false);
    expect(
      refusalRulesOutMovement(deposit(attempt(undefined, undefined, 'TimeoutError'), attempt(403, 'IP_BLOCKED'))),
    ).toBe(false);
    expect(
      refusalRulesOutMovement(deposit(attempt(409, 'IDEMPOTENCY_IN_PROGRESS'), attempt(429, 'RATE_LIMIT_EXCEEDED'))),
    ).toBe(false);
  });

  it('does not treat a 403 of the use case as a guard refusal', () => {
    expect(refusalRulesOutMovement(deposit(attempt(503, 'SERVICE_UNAVAILABLE'), attempt(403, 'FORBIDDEN')))).toBe(true);
  });

  it('proves nothing for answers that are not refusals', () => {
    expect(refusalRulesOutMovement(deposit(attempt(201)))).toBe(false);
    expect(refusalRulesOutMovement(deposit(attempt(503, 'SERVICE_UNAVAILABLE')))).toBe(false);
    expect(refusalRulesOutMovement(deposit(attempt(undefined, undefined, 'TimeoutError')))).toBe(false);
    expect(refusalRulesOutMovement(deposit(attempt(409, 'IDEMPOTENCY_IN_PROGRESS')))).toBe(false);
  });
});
