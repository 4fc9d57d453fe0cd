/**
 * All ledger SQL. Every method takes the EntityManager it must run on — the transaction's, for
 * anything that moves money, except transfer(), which is one atomic statement and may also run
 * in autocommit — so the call site shows what runs inside which transaction.
 * int8 columns come back from pg as strings and are turned into bigint here, never into floats.
 */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { PrivilegeLevel } from '../auth/auth-user';
import { toBigInt } from './money';

export type AccountKind = 'CUSTOMER' | 'SETTLEMENT';
export type MovementType = 'DEPOSIT' | 'WITHDRAWAL' | 'TRANSFER';

export interface Account {
  accountNumber: string;
  ownerId: string | null;
  kind: AccountKind;
  currency: string;
  balance: bigint;
  createdAt: Date;
}

export interface PostedEntry {
  entryId: string;
  createdAt: Date;
  /** Balance of each touched account right after this entry. */
  balanceAfter: Map<string, bigint>;
}

export interface LogLine {
  postingId: string;
  entryId: string;
  type: MovementType;
  amount: bigint;
  balanceAfter: bigint;
  description: string;
  counterparty: string | null;
  createdAt: Date;
}

export interface TransferCommand {
  from: string;
  to: string;
  amount: bigint;
  description: string;
  actorId: string;
  /** Staff may send from any customer account, customers only from their own. */
  actorIsStaff: boolean;
  idempotencyKey: string | undefined;
  /** TransferLimitsService.sqlLimits(): {"LEVEL": [perTransaction, daily]} in minor units. */
  limitsJson: string;
  /** Amount as answered ("12.50") and the request's origin, for the audit entry. */
  audit: { amount: string; ip: string | null; userAgent: string | null; requestId: string | null };
}

/**
 * What ledger_transfer did. Fields are filled as far as the function got before deciding: the
 * currencies from the account checks on, level and 24 h total from the limit checks, the entry
 * only on OK. They word the refusals; the decisions are the function's.
 */
export interface TransferOutcome {
  outcome:
    | 'OK'
    | 'FROM_NOT_FOUND'
    | 'FROM_FOREIGN'
    | 'TO_NOT_FOUND'
    | 'CURRENCY_MISMATCH'
    | 'PER_TRANSACTION_LIMIT'
    | 'DAILY_LIMIT'
    | 'INSUFFICIENT_FUNDS';
  privilegeLevel: PrivilegeLevel | null;
  fromCurrency: string | null;
  toCurrency: string | null;
  sentInLast24h: bigint | null;
  entryId: string | null;
  balanceAfter: bigint | null;
  createdAt: Date | null;
}

interface AccountRow {
  account_number: string;
  owner_id: string | null;
  kind: AccountKind;
  currency: string;
  balance: string;
  created_at: Date;
}

const ACCOUNT_COLUMNS = 'account_number, owner_id, kind, currency, balance, created_at';

function toAccount(r: AccountRow): Account {
  return {
    accountNumber: r.account_number,
    ownerId: r.owner_id,
    kind: r.kind,
    currency: r.currency,
    balance: toBigInt(r.balance),
    createdAt: r.created_at,
  };
}

export function settlementAccountNumber(currency: string): string {
  return `SETTLEMENT-${currency}`;
}

@Injectable()
export class LedgerRepository {
  async findAccount(em: EntityManager, accountNumber: string): Promise<Account | undefined> {
    const rows: AccountRow[] = await em.query(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE account_number = $1`, [accountNumber]);
    return rows[0] ? toAccount(rows[0]) : undefined;
  }

  /** Customer accounts of one owner in account-number order, after the cursor key. */
  async listAccounts(em: EntityManager, ownerId: string, after: string | undefined, limit: number): Promise<Account[]> {
    const rows: AccountRow[] = await em.query(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts
        WHERE owner_id = $1 AND kind = 'CUSTOMER' AND account_number > $2
        ORDER BY account_number LIMIT $3`,
      [ownerId, after ?? '', limit],
    );
    return rows.map(toAccount);
  }

  async userExists(em: EntityManager, userId: string): Promise<boolean> {
    const rows: unknown[] = await em.query(`SELECT 1 FROM users WHERE id = $1`, [userId]);
    return rows.length > 0;
  }

  /** Every currency's settlement account exists before the first customer account in it. */
  async ensureSettlementAccount(tx: EntityManager, currency: string): Promise<void> {
    await tx.query(
      `INSERT INTO accounts (account_number, kind, currency) VALUES ($1, 'SETTLEMENT', $2) ON CONFLICT DO NOTHING`,
      [settlementAccountNumber(currency), currency],
    );
  }

  /** Inserts a customer account; undefined when the number is already taken (caller retries). */
  async insertCustomerAccount(tx: EntityManager, accountNumber: string, ownerId: string, currency: string): Promise<Account | undefined> {
    const rows: AccountRow[] = await tx.query(
      `INSERT INTO accounts (account_number, owner_id, kind, currency) VALUES ($1, $2, 'CUSTOMER', $3)
       ON CONFLICT (account_number) DO NOTHING RETURNING ${ACCOUNT_COLUMNS}`,
      [accountNumber, ownerId, currency],
    );
    return rows[0] ? toAccount(rows[0]) : undefined;
  }

  /**
   * Locks the given accounts in ONE statement, in account-number order, so two movements over
   * the same pair (A→B and B→A) queue instead of deadlocking. Missing numbers are simply absent.
   */
  async lockAccountsInOrder(tx: EntityManager, accountNumbers: string[]): Promise<Map<string, Account>> {
    const rows: AccountRow[] = await tx.query(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE account_number = ANY($1::text[]) ORDER BY account_number FOR UPDATE`,
      [accountNumbers],
    );
    return new Map(rows.map((r) => [r.account_number, toAccount(r)]));
  }

  /**
   * A whole transfer in ONE statement: the `ledger_transfer` function (migration
   * 1764000004000) locks both accounts, checks access, currency, the owner's limits and the
   * balance under the owner's allowance lock, and writes the entry, both balances, the rolling
   * usage row and the audit entry, or refuses and writes nothing. Atomic on its own, so it may
   * run outside an explicit transaction (autocommit) as well as inside one.
   */
  async transfer(em: EntityManager, t: TransferCommand): Promise<TransferOutcome> {
    const rows: Array<{
      o_outcome: TransferOutcome['outcome'];
      o_privilege_level: PrivilegeLevel | null;
      o_from_currency: string | null;
      o_to_currency: string | null;
      o_sent_24h: string | null;
      o_entry_id: string | null;
      o_balance_after: string | null;
      o_created_at: Date | null;
    }> = await em.query(`SELECT * FROM ledger_transfer($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
      t.from,
      t.to,
      t.amount.toString(),
      t.description,
      t.actorId,
      t.actorIsStaff,
      t.idempotencyKey ?? null,
      t.limitsJson,
      JSON.stringify(t.audit),
    ]);
    const r = rows[0];
    return {
      outcome: r.o_outcome,
      privilegeLevel: r.o_privilege_level,
      fromCurrency: r.o_from_currency,
      toCurrency: r.o_to_currency,
      sentInLast24h: r.o_sent_24h === null ? null : toBigInt(r.o_sent_24h),
      entryId: r.o_entry_id,
      balanceAfter: r.o_balance_after === null ? null : toBigInt(r.o_balance_after),
      createdAt: r.o_created_at,
    };
  }

  /**
   * Writes one balanced journal entry in ONE statement: the entry, each account's new balance
   * and one posting per account with its balance after. The CHECK on customer balances and the
   * deferred balanced-entry trigger are the last line of defence behind the service's checks.
   */
  async postEntry(
    tx: EntityManager,
    entry: {
      type: MovementType;
      currency: string;
      amount: bigint;
      description: string;
      createdBy: string;
      idempotencyKey: string | undefined;
      postings: Array<{ accountNumber: string; delta: bigint }>;
    },
  ): Promise<PostedEntry> {
    const rows: Array<{ entry_id: string; account_number: string; balance_after: string; created_at: Date }> = await tx.query(
      `WITH entry AS (
         INSERT INTO journal_entries (type, currency, amount, description, created_by, idempotency_key, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp())
         RETURNING id, created_at
       ), moved AS (
         UPDATE accounts a SET balance = a.balance + m.delta
           FROM unnest($7::text[], $8::bigint[]) AS m(account_number, delta)
          WHERE a.account_number = m.account_number
         RETURNING a.account_number, m.delta, a.balance
       )
       INSERT INTO postings (entry_id, account_number, amount, balance_after, created_at)
       SELECT entry.id, moved.account_number, moved.delta, moved.balance, entry.created_at
         FROM entry CROSS JOIN moved
        ORDER BY moved.account_number
       RETURNING entry_id, account_number, balance_after, created_at`,
      [
        entry.type,
        entry.currency,
        entry.amount.toString(),
        entry.description,
        entry.createdBy,
        entry.idempotencyKey ?? null,
        entry.postings.map((p) => p.accountNumber),
        entry.postings.map((p) => p.delta.toString()),
      ],
    );
    if (rows.length !== entry.postings.length) {
      // Cannot happen while accounts are locked first; refuse rather than commit a partial entry.
      throw new Error(`journal entry touched ${rows.length} of ${entry.postings.length} accounts`);
    }
    return {
      entryId: rows[0].entry_id,
      createdAt: rows[0].created_at,
      balanceAfter: new Map(rows.map((r) => [r.account_number, toBigInt(r.balance_after)])),
    };
  }

  /** One page of an account's postings, newest first, before the cursor posting id. */
  async transactionLog(em: EntityManager, accountNumber: string, beforeId: bigint | undefined, limit: number): Promise<LogLine[]> {
    const rows: Array<{
      id: string;
      entry_id: string;
      type: MovementType;
      amount: string;
      balance_after: string;
      description: string;
      counterparty: string | null;
      created_at: Date;
    }> = await em.query(
      `SELECT p.id, p.entry_id, e.type, p.amount, p.balance_after, e.description, p.created_at,
              CASE WHEN e.type = 'TRANSFER' THEN
                (SELECT o.account_number FROM postings o WHERE o.entry_id = p.entry_id AND o.id <> p.id LIMIT 1)
              END AS counterparty
         FROM postings p JOIN journal_entries e ON e.id = p.entry_id
        WHERE p.account_number = $1 AND p.id < $2::bigint
        ORDER BY p.id DESC
        LIMIT $3`,
      [accountNumber, (beforeId ?? 9_223_372_036_854_775_807n).toString(), limit],
    );
    return rows.map((r) => ({
      postingId: r.id,
      entryId: r.entry_id,
      type: r.type,
      amount: toBigInt(r.amount),
      balanceAfter: toBigInt(r.balance_after),
      description: r.description,
      counterparty: r.counterparty,
      createdAt: r.created_at,
    }));
  }
}
