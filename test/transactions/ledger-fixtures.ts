/**
 * Factories and ledger invariant checks shared by the transactions integration tests.
 */
import { api, createUser, sql, type Level, type Role, type TestUser } from '../harness';

export interface Funded {
  user: TestUser;
  accountNumber: string;
}

export async function openAccount(baseUrl: string, user: TestUser, body: Record<string, unknown> = {}): Promise<string> {
  const res = await api(baseUrl, 'POST', '/api/v1/accounts', { token: user.token, body });
  if (res.status !== 201) throw new Error(`expected an account to open (201), got ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.accountNumber as string;
}

export async function deposit(baseUrl: string, user: TestUser, accountNumber: string, amount: string, headers: Record<string, string> = {}) {
  return api(baseUrl, 'POST', '/api/v1/deposits', { token: user.token, body: { accountNumber, amount, description: 'test deposit' }, headers });
}

export async function withdraw(baseUrl: string, user: TestUser, accountNumber: string, amount: string, headers: Record<string, string> = {}) {
  return api(baseUrl, 'POST', '/api/v1/withdrawals', { token: user.token, body: { accountNumber, amount, description: 'test withdrawal' }, headers });
}

export async function transfer(
  baseUrl: string,
  user: TestUser,
  fromAccountNumber: string,
  toAccountNumber: string,
  amount: string,
  headers: Record<string, string> = {},
) {
  return api(baseUrl, 'POST', '/api/v1/transfers', {
    token: user.token,
    body: { fromAccountNumber, toAccountNumber, amount, description: 'test transfer' },
    headers,
  });
}

/** A verified user with one account holding `amount` (deposited through the API). */
export async function fundedAccount(
  baseUrl: string,
  dbUrl: string,
  amount: string,
  opts: { level?: Level; roles?: Role[]; currency?: string } = {},
): Promise<Funded> {
  const user = await createUser(dbUrl, { level: opts.level ?? 'BUSINESS', roles: opts.roles });
  const accountNumber = await openAccount(baseUrl, user, opts.currency ? { currency: opts.currency } : {});
  if (amount !== '0') {
    const res = await deposit(baseUrl, user, accountNumber, amount);
    if (res.status !== 201) throw new Error(`expected funding deposit to succeed, got ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { user, accountNumber };
}

/** Minor units from a two-decimal string, exactly (no floats). */
export function minor(amount: string): bigint {
  const [units, cents = ''] = amount.split('.');
  const sign = units.startsWith('-') ? -1n : 1n;
  return sign * (BigInt(units.replace('-', '')) * 100n + BigInt(cents.padEnd(2, '0')));
}

export async function balanceOf(dbUrl: string, accountNumber: string): Promise<bigint> {
  const [row] = await sql<{ balance: string }>(dbUrl, `SELECT balance FROM accounts WHERE account_number = $1`, [accountNumber]);
  return BigInt(row.balance);
}

/**
 * The books balance: every journal entry's postings sum to zero, every account's balance equals
 * the sum of its postings, each account's postings chain (balance_after = previous + amount),
 * no customer balance is negative, and customers + settlement sum to zero.
 * Returns human-readable violations (empty when the books are sound).
 */
export async function bookViolations(dbUrl: string): Promise<string[]> {
  const problems: string[] = [];
  const unbalanced = await sql<{ id: string; total: string }>(
    dbUrl,
    `SELECT e.id, COALESCE(SUM(p.amount), 0)::text AS total FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.id
      GROUP BY e.id HAVING COALESCE(SUM(p.amount), 0) <> 0 OR COUNT(p.id) < 2`,
  );
  for (const u of unbalanced) problems.push(`journal entry ${u.id} postings sum to ${u.total} (or it has fewer than 2 postings)`);
  const drifted = await sql<{ account_number: string; balance: string; posted: string }>(
    dbUrl,
    `SELECT a.account_number, a.balance::text, COALESCE(SUM(p.amount), 0)::text AS posted
       FROM accounts a LEFT JOIN postings p ON p.account_number = a.account_number
      GROUP BY a.account_number HAVING a.balance <> COALESCE(SUM(p.amount), 0)`,
  );
  for (const d of drifted) problems.push(`account ${d.account_number} balance ${d.balance} but its postings sum to ${d.posted}`);
  const broken = await sql<{ id: string; account_number: string }>(
    dbUrl,
    `SELECT id, account_number FROM (
       SELECT id, account_number, balance_after, amount,
              LAG(balance_after, 1, 0::bigint) OVER (PARTITION BY account_number ORDER BY id) AS prev
         FROM postings) x
      WHERE balance_after <> prev + amount`,
  );
  for (const b of broken) problems.push(`posting ${b.id} of ${b.account_number} does not follow from the previous balance`);
  const negative = await sql<{ account_number: string; balance: string }>(
    dbUrl,
    `SELECT account_number, balance::text FROM accounts WHERE kind = 'CUSTOMER' AND balance < 0`,
  );
  for (const n of negative) problems.push(`customer account ${n.account_number} is negative: ${n.balance}`);
  const [sum] = await sql<{ total: string }>(dbUrl, `SELECT COALESCE(SUM(balance), 0)::text AS total FROM accounts`);
  if (sum.total !== '0') problems.push(`customers + settlement sum to ${sum.total}, not 0`);
  return problems;
}

/** Sum of customer balances, and deposits minus withdrawals according to the journal. */
export async function customerTotals(dbUrl: string): Promise<{ customers: bigint; depositsMinusWithdrawals: bigint }> {
  const [row] = await sql<{ customers: string; net: string }>(
    dbUrl,
    `SELECT (SELECT COALESCE(SUM(balance), 0) FROM accounts WHERE kind = 'CUSTOMER')::text AS customers,
            (SELECT COALESCE(SUM(CASE type WHEN 'DEPOSIT' THEN amount WHEN 'WITHDRAWAL' THEN -amount ELSE 0 END), 0)
               FROM journal_entries)::text AS net`,
  );
  return { customers: BigInt(row.customers), depositsMinusWithdrawals: BigInt(row.net) };
}

/**
 * Reads an account's whole transaction log through the API (every page) and checks it replays
 * to the balance the API reports: oldest to newest, each balanceAfter = previous ± amount.
 */
export async function logReplayProblems(baseUrl: string, user: TestUser, accountNumber: string, pageSize = 7): Promise<string[]> {
  const items: Array<{ amount: string; direction: string; balanceAfter: string; transactionId: string }> = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 10_000; pages++) {
    const q: string = `?limit=${pageSize}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await api(baseUrl, 'GET', `/api/v1/transaction-logs/${accountNumber}${q}`, { token: user.token });
    if (res.status !== 200) return [`log page of ${accountNumber} answered ${res.status}`];
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    if (!cursor) break;
  }
  const account = await api(baseUrl, 'GET', `/api/v1/accounts/${accountNumber}`, { token: user.token });
  const problems: string[] = [];
  const ids = new Set(items.map((i) => i.transactionId));
  if (ids.size !== items.length) problems.push(`${accountNumber}: log pages repeat an entry`);
  let running = 0n;
  for (const item of [...items].reverse()) {
    running += item.direction === 'CREDIT' ? minor(item.amount) : -minor(item.amount);
    if (minor(item.balanceAfter) !== running) {
      problems.push(`${accountNumber}: entry ${item.transactionId} says balance ${item.balanceAfter}, replay gives ${running}`);
      break;
    }
  }
  if (minor(account.body.balance) !== running) problems.push(`${accountNumber}: log replays to ${running} but balance is ${account.body.balance}`);
  return problems;
}
