/**
 * THE classification of dependency faults: an error that means PostgreSQL or Redis cannot
 * serve right now, as opposed to "this request is wrong" or a bug. Every answer path uses it
 * (the problem filter, the Socket.IO gateway, services that catch), so a fault the product is
 * designed to absorb is always 503 SERVICE_UNAVAILABLE with Retry-After, never 500 INTERNAL.
 * SMTP faults never reach an answer: mail goes through the outbox (infra/mail).
 * Pure (no Nest imports), unit-tested.
 */
import { CommitOutcomeUnknownError, databaseFault, type DatabaseFaultKind } from '../database/db-errors';
import { DomainError } from '../http/domain-error';
import { StoreUnavailableError } from '../redis/resilient-store';

export type Dependency = 'database' | 'redis';

export interface DependencyFault {
  dependency: Dependency;
  reason: DatabaseFaultKind;
  /** A change may or may not have been applied (the connection failed at COMMIT). */
  outcomeUnknown: boolean;
}

/** The 503 answer to a dependency fault; still carries the fault for logs and metrics. */
export class ServiceUnavailableError extends DomainError {
  constructor(
    readonly fault: DependencyFault,
    detail: string,
    retryAfterSeconds: number,
    override readonly cause?: unknown,
  ) {
    super('SERVICE_UNAVAILABLE', 503, detail, undefined, { 'Retry-After': String(retryAfterSeconds) });
    this.name = 'ServiceUnavailableError';
  }
}

/** What kind of dependency fault `err` is, or undefined when it is none. */
export function dependencyFault(err: unknown): DependencyFault | undefined {
  if (err instanceof ServiceUnavailableError) return err.fault;
  if (err instanceof StoreUnavailableError) return { dependency: 'redis', reason: 'unreachable', outcomeUnknown: false };
  if (err instanceof DomainError) return undefined;
  const reason = databaseFault(err);
  if (!reason) return undefined;
  return { dependency: 'database', reason, outcomeUnknown: err instanceof CommitOutcomeUnknownError };
}

export function isDependencyFault(err: unknown): boolean {
  return dependencyFault(err) !== undefined;
}

/**
 * The answer to `err` when it is a dependency fault (undefined otherwise). The detail never
 * promises "nothing changed" unless that is known: only a server-side abort (busy) is certain
 * here; an unknown commit outcome says how to learn it.
 */
export function serviceUnavailable(err: unknown): ServiceUnavailableError | undefined {
  if (err instanceof ServiceUnavailableError) return err;
  const fault = dependencyFault(err);
  if (!fault) return undefined;
  if (fault.dependency === 'redis') {
    return new ServiceUnavailableError(fault, 'Rate limiting is temporarily unavailable; retry shortly', 1, err);
  }
  if (fault.outcomeUnknown) {
    return new ServiceUnavailableError(
      fault,
      'The database connection failed before the outcome was known; retry with the same Idempotency-Key to get the original answer',
      1,
      err,
    );
  }
  if (fault.reason === 'busy') {
    return new ServiceUnavailableError(fault, 'The database is busy; nothing was changed, retry shortly', 1, err);
  }
  return new ServiceUnavailableError(fault, 'The database is unavailable; retry shortly', 2, err);
}
