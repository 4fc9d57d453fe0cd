/**
 * The pool's client (src/infra/database/deadline-client.ts) on a real PostgreSQL behind a fault
 * proxy: a query the server never answers fails at its deadline, and the connection it ran on
 * is ended, so the next query on it fails at once instead of waiting behind the lost answer.
 * Both of the client's paths: a statement with parameters (named and prepared, handed to pg as a
 * Query it answers through a callback) and one without (pg's promise form).
 */
import { DeadlineClient } from '../../src/infra/database/deadline-client';
import { createDatabase, startFaultProxy, type FaultProxy } from '../harness';

const DEADLINE_MS = 400;
let proxy: FaultProxy;
let proxiedUrl: string;
const clients: DeadlineClient[] = [];

beforeAll(async () => {
  const url = new URL(await createDatabase(undefined, { migrate: false }));
  proxy = await startFaultProxy(Number(url.port));
  url.port = String(proxy.port);
  proxiedUrl = url.toString();
});
afterEach(() => proxy.heal());
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await proxy.close();
});

async function client(): Promise<DeadlineClient> {
  const c = new DeadlineClient({ connectionString: proxiedUrl, query_timeout: DEADLINE_MS, preparedStatements: true });
  c.on('error', () => undefined); // the ended connection reports itself; the test looks at the queries
  clients.push(c);
  await c.connect();
  return c;
}

/** How a promise settles and how long it took. */
async function settle(p: Promise<unknown>): Promise<{ ok: boolean; error?: string; ms: number }> {
  const started = Date.now();
  try {
    await p;
    return { ok: true, ms: Date.now() - started };
  } catch (err) {
    return { ok: false, error: (err as Error).message, ms: Date.now() - started };
  }
}

describe.each([
  ['with parameters (named, prepared)', 'SELECT $1::int + 1 AS n', [1]],
  ['without parameters', 'SELECT 2 AS n', undefined],
])('a query %s that gets no answer', (_label, text, params) => {
  it('fails at its deadline and ends its connection: the next query on it fails at once', async () => {
    const c = await client();
    expect((await c.query(text, params)).rows).toEqual([{ n: 2 }]); // prepared now, when named
    proxy.blackhole();
    const lost = await settle(c.query(text, params));
    expect(lost).toMatchObject({ ok: false, error: 'Query read timeout' });
    expect(lost.ms).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    // Without the end, this query would queue behind the lost answer until its own deadline.
    const next = await settle(c.query(text, params));
    expect(next.ok).toBe(false);
    expect(next.error).not.toBe('Query read timeout');
    expect(next.ms).toBeLessThan(DEADLINE_MS / 2);
  });
});

it('a named statement answers values and errors as they come, and the connection goes on', async () => {
  const c = await client();
  const results = [];
  for (const v of [1, 2, 'x', 4])
    results.push(await settle(c.query('SELECT $1::int * 10 AS n', [v]).then((r) => r.rows)));
  expect(results.map((r) => r.ok)).toEqual([true, true, false, true]);
  expect(results[2].error).toMatch(/invalid input syntax for type integer/);
  expect(await c.query('SELECT $1::int * 10 AS n', [5]).then((r) => r.rows)).toEqual([{ n: 50 }]);
});
