/**
 * What a database error means for the caller, when it is not "this request is wrong": the
 * database cannot be reached, the connection died under the request, the database gave no
 * answer in time, or it aborted the work because it is busy. Pure, unit-tested; the one
 * classifier every answer path uses is infra/resilience/dependency-fault.ts, built on this.
 */

/**
 * `unreachable`: no connection to be had (nothing was sent); `lost`: the connection died under
 * the work; `timeout`: the server gave no answer in time; `busy`: the server aborted the work.
 */
export type DatabaseFaultKind = 'unreachable' | 'lost' | 'timeout' | 'busy';

const UNREACHABLE_SQLSTATES = new Set(['57P03', '53300']); // cannot connect now (starting up), too many connections
// Connection exceptions, and the server ending this session: admin/crash shutdown (a restart), idle timeout.
const LOST_SQLSTATES = ['08', '57P01', '57P02', '57P05'];
const BUSY_SQLSTATES = new Set([
  '40001', // serialization_failure (after runInTransaction's retries)
  '40P01', // deadlock_detected (after runInTransaction's retries)
  '55P03', // lock_not_available
  '57014', // query_canceled: statement_timeout
  // The server is out of a resource: disk_full, out_of_memory, io_error. The request is fine;
  // the database cannot serve it right now (503, not 500).
  '53100',
  '53200',
  '58030',
]);
const UNREACHABLE_NODE_CODES = new Set(['ECONNREFUSED', 'EOPENBREAKER', 'ENOTFOUND', 'EAI_AGAIN']);
const LOST_NODE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
const TIMEOUT_NODE_CODES = new Set(['ETIMEDOUT']);
const MESSAGES: Array<[string, DatabaseFaultKind]> = [
  // No connection within DB_CONNECT_TIMEOUT_MS (pool exhausted, or the server silent): nothing was sent.
  ['timeout exceeded when trying to connect', 'unreachable'],
  ['Connection terminated due to connection timeout', 'unreachable'],
  ['Query read timeout', 'timeout'], // the client-side deadline of data-source.ts
  ['Connection terminated', 'lost'],
  ['Client has encountered a connection error', 'lost'],
  ['Client was closed and is not queryable', 'lost'],
];
/**
 * TypeORM releases a query runner when its pooled connection emits an error (the server
 * restarted, the socket was reset); the runner's next query then throws this instead of a
 * connection error (PITFALLS §9); a query through the runner's EntityManager throws the
 * "Provider" variant (found by the soak). Our code never uses a runner after releasing it itself.
 */
const LOST_ERROR_NAMES = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);

/** Why `err` is a database fault, or undefined when it is not one (a bug, a constraint...). */
export function databaseFault(err: unknown): DatabaseFaultKind | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  if (err instanceof CommitOutcomeUnknownError) return 'lost';
  const e = err as { name?: unknown; code?: unknown; driverError?: { code?: unknown; message?: unknown }; message?: unknown };
  if (typeof e.name === 'string' && LOST_ERROR_NAMES.has(e.name)) return 'lost';
  const code = e.driverError?.code ?? e.code;
  if (typeof code === 'string') {
    if (BUSY_SQLSTATES.has(code)) return 'busy';
    if (LOST_SQLSTATES.some((p) => code.startsWith(p))) return 'lost';
    if (UNREACHABLE_SQLSTATES.has(code)) return 'unreachable';
    if (UNREACHABLE_NODE_CODES.has(code)) return 'unreachable';
    if (LOST_NODE_CODES.has(code)) return 'lost';
    if (TIMEOUT_NODE_CODES.has(code)) return 'timeout';
  }
  const message = String(e.driverError?.message ?? e.message ?? '');
  return MESSAGES.find(([m]) => message.includes(m))?.[1];
}

/** Any database fault: the answer is 503 SERVICE_UNAVAILABLE with Retry-After, never 500. */
export function isDatabaseUnavailable(err: unknown): boolean {
  return databaseFault(err) !== undefined;
}

/** The connection died or went silent: what was sent on it may or may not have been applied. */
export function isConnectionFault(err: unknown): boolean {
  const kind = databaseFault(err);
  return kind === 'lost' || kind === 'timeout';
}

/**
 * The connection failed while COMMIT (or an autocommit statement) was on its way: PostgreSQL
 * may have applied it or not, and this process cannot know which. Only an Idempotency-Key
 * retry (replay or apply, never twice) or a read can tell the client.
 */
export class CommitOutcomeUnknownError extends Error {
  constructor(override readonly cause: unknown) {
    super(`the connection failed before the outcome was known: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'CommitOutcomeUnknownError';
  }
}
