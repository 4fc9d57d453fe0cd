/**
 * The pg client of the pool.
 *
 * Deadline: pg's own `query_timeout` rejects a query that got no answer in time but keeps the
 * connection, which still waits for that answer: after a network partition the connection would
 * go back to the pool and hang the next request too. This client ends the connection when a
 * query's deadline passes, so its runner and the pool drop it (the server rolls back whatever
 * transaction was open on it).
 *
 * Prepared statements (`DB_PREPARED_STATEMENTS`, on by default): a statement with parameters
 * runs as a named prepared statement, parsed and planned once per connection instead of on every
 * call. That halves what an account read costs PostgreSQL (docs/operations.md "Performance
 * notes"). Names are per SQL text, so the set is as small as the code's own statements; past
 * MAX_NAMED distinct texts (dynamic SQL would be a bug, not a workload) the rest run unnamed.
 * Behind a transaction-mode pooler, turn it off unless the pooler tracks prepared statements
 * (PgBouncer 1.21+ with `max_prepared_statements`). A migration that changes a statement's result
 * columns while replicas run fails it where it runs next (and wherever it runs at that moment):
 * its text then gets a new name, so every connection prepares it afresh, and a query outside a
 * transaction retries it at once (data-source.ts); only a statement inside a transaction can
 * see the error.
 */
import { Client, Query, type ClientConfig, type QueryResult } from 'pg';

const READ_TIMEOUT = 'Query read timeout';
export const MAX_NAMED = 1_000;

/** The client's settings beside pg's own (pg passes the pool's options through to each client). */
export interface DeadlineClientConfig extends ClientConfig {
  preparedStatements?: boolean;
}

const names = new Map<string, string>();
let issued = 0;

/** The statement name of one SQL text, the same on every connection of the process. */
export function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED) names.set(text, (name = `bw_${++issued}`));
  return name;
}

/**
 * A prepared statement whose result columns changed under it (a migration changed a column's
 * type, or added one to a `SELECT *`): PostgreSQL refuses to run it again on that connection
 * (0A000 "cached plan must not change result type"), where an unnamed statement would just run.
 */
export function isStalePlan(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  return e?.code === '0A000' && typeof e.message === 'string' && e.message.includes('cached plan must not change result type');
}

/** Gives a stale text a new name, so every connection prepares it afresh (once, however many failed). */
function renameStale(text: string, stale: string): void {
  if (names.get(text) === stale) names.set(text, `bw_${++issued}`);
}

interface Connection {
  stream?: { destroy(): void };
  parsedStatements: Record<string, string>;
  once(event: 'closeComplete', listener: () => void): unknown;
}

/** SQLSTATE invalid_sql_statement_name: the server does not know the statement the client thinks it prepared. */
const UNKNOWN_STATEMENT = '26000';

export class DeadlineClient extends Client {
  readonly preparedStatements: boolean;

  constructor(config?: DeadlineClientConfig | string) {
    super(config);
    this.preparedStatements = typeof config === 'object' && config.preparedStatements === true;
  }
}

const baseQuery = Client.prototype.query as (this: Client, ...args: unknown[]) => unknown;

/** pg's Query as this client drives it: named after construction, answered through its callback. */
interface NamedQuery {
  name?: string;
  callback?: (err: Error | null, result?: QueryResult) => void;
}

(DeadlineClient.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: DeadlineClient, ...args: unknown[]) {
  // Only the promise form with parameters: a statement without them runs on the simple protocol
  // (it may hold several statements, as BEGIN ... does), and the other forms are not used here.
  const name =
    this.preparedStatements && args.length === 2 && typeof args[0] === 'string' && Array.isArray(args[1]) && args[1].length > 0
      ? statementName(args[0])
      : undefined;
  if (name === undefined) {
    const result = baseQuery.apply(this, args);
    if (!(result instanceof Promise)) return result; // callback and submittable forms: not used by TypeORM
    return result.catch((err: unknown) => {
      if (err instanceof Error && err.message === READ_TIMEOUT) connectionOf(this)?.stream?.destroy();
      throw err;
    });
  }
  // The Query is made from the text and named afterwards, and handed to pg as a submittable: pg
  // copies a config OBJECT descriptor by descriptor on every call (1.1 µs, against 0.07 µs for a
  // text), and its promise form wraps the answer in two promises more (one to re-stamp a failure's
  // stack). pg still applies `query_timeout` and prepares the statement once per connection.
  const text = args[0] as string;
  const query = new Query(text, args[1] as unknown[]) as unknown as NamedQuery;
  query.name = name;
  return new Promise<QueryResult>((resolve, reject) => {
    query.callback = (err, result) => {
      if (!err) return resolve(result!);
      const connection = connectionOf(this);
      if (err.message === READ_TIMEOUT) connection?.stream?.destroy();
      if (connection) forgetClosedStatement(connection, name, (err as { code?: unknown }).code);
      if (isStalePlan(err)) renameStale(text, name);
      reject(err);
    };
    baseQuery.call(this, query);
  });
};

function connectionOf(client: Client): Connection | undefined {
  return (client as unknown as { connection?: Connection }).connection;
}

/**
 * A parameter pg cannot serialise fails on this side (an error without a SQLSTATE): pg then closes
 * the named statement on the server but still counts it as parsed, and a ParseComplete still on
 * its way would count it again. Forgotten now and once the server confirms the close, its next
 * use parses it again. Should the client and server disagree anyway, the server's 26000 heals it
 * for the next call. The server's other errors leave the statement in place.
 */
function forgetClosedStatement(connection: Connection, name: string, code: unknown): void {
  if (code === UNKNOWN_STATEMENT) {
    delete connection.parsedStatements[name];
  } else if (code === undefined) {
    delete connection.parsedStatements[name];
    connection.once('closeComplete', () => delete connection.parsedStatements[name]);
  }
}

/**
 * The client-side deadline of one query: the server's statement_timeout plus a margin, so a
 * slow but reachable server still answers 57014 first; the deadline only fires when the server
 * cannot answer at all. No statement timeout, no deadline.
 */
export function queryDeadlineMs(statementTimeoutMs: number): number | undefined {
  return statementTimeoutMs > 0 ? statementTimeoutMs + 2_000 : undefined;
}
