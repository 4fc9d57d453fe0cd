/**
 * Database errors that mean "the ledger is busy right now", not "this request is wrong": a
 * serialization failure or deadlock that outlived runInTransaction's retries, a lock or
 * statement timeout, or no free pool connection. They become 503 SERVICE_UNAVAILABLE with
 * Retry-After, never a 500; the transaction rolled back, so nothing moved and a retry is safe.
 */
import { isDatabaseUnavailable } from '../infra/database/db-errors';
import { DomainError } from '../infra/http/domain-error';

const BUSY_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '57014', // query_canceled (statement_timeout)
]);

export function isLedgerBusy(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: { code?: unknown }; message?: unknown };
  const code = e?.driverError?.code ?? e?.code;
  if (typeof code === 'string' && BUSY_SQLSTATES.has(code)) return true;
  // No connection to be had (exhausted pool, open breaker, server gone): the shared rule.
  return isDatabaseUnavailable(err);
}

export function ledgerBusy(): DomainError {
  return new DomainError('SERVICE_UNAVAILABLE', 503, 'The ledger is busy; nothing was moved, retry shortly', undefined, { 'Retry-After': '1' });
}
