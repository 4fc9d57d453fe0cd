/**
 * The pg client of the pool. pg's own `query_timeout` rejects a query that got no answer in time
 * but keeps the connection, which still waits for that answer: after a network partition the
 * connection would go back to the pool and hang the next request too. This client ends the
 * connection when a query's deadline passes, so its runner and the pool drop it (the server
 * rolls back whatever transaction was open on it).
 */
import { Client } from 'pg';

const READ_TIMEOUT = 'Query read timeout';

export class DeadlineClient extends Client {}

const baseQuery = Client.prototype.query as (this: Client, ...args: unknown[]) => unknown;
(DeadlineClient.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: Client, ...args: unknown[]) {
  const result = baseQuery.apply(this, args);
  if (!(result instanceof Promise)) return result; // callback and submittable forms: not used by TypeORM
  return result.catch((err: unknown) => {
    if (err instanceof Error && err.message === READ_TIMEOUT) {
      (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    }
    throw err;
  });
};

/**
 * The client-side deadline of one query: the server's statement_timeout plus a margin, so a
 * slow but reachable server still answers 57014 first; the deadline only fires when the server
 * cannot answer at all. No statement timeout, no deadline.
 */
export function queryDeadlineMs(statementTimeoutMs: number): number | undefined {
  return statementTimeoutMs > 0 ? statementTimeoutMs + 2_000 : undefined;
}
