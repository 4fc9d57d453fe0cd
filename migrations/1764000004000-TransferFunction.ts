import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Transfers in ONE round trip, and a daily limit whose cost does not grow with history.
 *
 * `transfer_allowance_usage` keeps one row per outgoing transfer of an owner in a currency with
 * `sent_total`, the owner's running total after it. What the owner sent in the rolling 24 hours
 * is the newest row's total minus the total before the oldest row still inside the window: two
 * index probes, however many transfers the owner made. Only the window matters, so rows that
 * have left it are deleted by the next transfer of the same owner (under the owner's lock).
 *
 * `ledger_transfer` runs the whole transfer inside PostgreSQL, so row locks are held for the
 * function's own microseconds instead of across several client round trips (that was the
 * throughput limit: 8 statements per transfer with both account rows locked for most of them).
 * Order of work and of refusals is the one LedgerService documents: lock both accounts in one
 * ordered statement; sending account must be the caller's own customer account (or the caller
 * staff), receiving account any customer account, same currency; then the owner's allowance lock
 * (taken after the account locks, so it cannot join a deadlock cycle; every transfer takes
 * exactly one); per-transaction limit, rolling 24 h limit, balance; then the balanced journal
 * entry, both balances, the usage row and the audit entry. A refusal writes nothing and says why
 * in `o_outcome`; the service turns it into the problem+json answer. Each statement of a VOLATILE
 * function takes a fresh snapshot under READ COMMITTED, so the window read after the allowance
 * lock sees every transfer of the owner committed before the lock was granted.
 *
 * Rolling update note: replicas still on the previous release compute the daily limit from
 * postings and do not write usage rows; transfers they make after this migration are not seen
 * by new replicas' limit checks until the rollout ends (balances are unaffected).
 */
export class TransferFunction1764000004000 implements MigrationInterface {
  name = 'TransferFunction1764000004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE transfer_allowance_usage (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        owner_id uuid NOT NULL REFERENCES users(id),
        currency text NOT NULL,
        sent_at timestamptz NOT NULL,
        amount bigint NOT NULL CHECK (amount > 0),
        sent_total bigint NOT NULL
      )`);
    await q.query(`CREATE INDEX transfer_allowance_usage_window_idx ON transfer_allowance_usage (owner_id, currency, sent_at, id)`);
    // Transfers already inside the window count from the first minute.
    await q.query(`
      INSERT INTO transfer_allowance_usage (owner_id, currency, sent_at, amount, sent_total)
      SELECT a.owner_id, a.currency, p.created_at, -p.amount,
             sum(-p.amount) OVER (PARTITION BY a.owner_id, a.currency ORDER BY p.created_at, p.id)
        FROM postings p
        JOIN accounts a ON a.account_number = p.account_number AND a.kind = 'CUSTOMER'
        JOIN journal_entries e ON e.id = p.entry_id AND e.type = 'TRANSFER'
       WHERE p.amount < 0 AND p.created_at > now() - interval '24 hours'
       ORDER BY p.created_at, p.id`);
    // postings_account_debits_idx served the previous release's daily-limit query. It stays
    // until a later release (expand now, contract later): old pods still use it mid-rollout.

    await q.query(`
      CREATE FUNCTION ledger_transfer(
        p_from text, p_to text, p_amount bigint, p_description text,
        p_actor uuid, p_actor_is_staff boolean, p_idempotency_key text,
        p_limits jsonb,
        p_audit jsonb,
        OUT o_outcome text, OUT o_privilege_level text,
        OUT o_from_currency text, OUT o_to_currency text, OUT o_sent_24h bigint,
        OUT o_entry_id uuid, OUT o_balance_after bigint, OUT o_created_at timestamptz
      ) LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        r accounts;
        v_from accounts;
        v_to accounts;
        v_now timestamptz;
        v_per_transaction bigint;
        v_daily bigint;
        v_window_base bigint;
        v_window_total bigint;
        v_to_after bigint;
      BEGIN
        FOR r IN SELECT * FROM accounts WHERE account_number IN (p_from, p_to) ORDER BY account_number FOR UPDATE LOOP
          IF r.account_number = p_from THEN v_from := r; ELSE v_to := r; END IF;
        END LOOP;
        IF v_from.account_number IS NULL OR v_from.kind <> 'CUSTOMER' THEN
          o_outcome := 'FROM_NOT_FOUND'; RETURN;
        END IF;
        IF v_from.owner_id <> p_actor AND NOT p_actor_is_staff THEN
          o_outcome := 'FROM_FOREIGN'; RETURN;
        END IF;
        IF v_to.account_number IS NULL OR v_to.kind <> 'CUSTOMER' THEN
          o_outcome := 'TO_NOT_FOUND'; RETURN;
        END IF;
        o_from_currency := v_from.currency;
        o_to_currency := v_to.currency;
        IF v_from.currency <> v_to.currency THEN
          o_outcome := 'CURRENCY_MISMATCH'; RETURN;
        END IF;

        SELECT u.privilege_level INTO o_privilege_level FROM users u WHERE u.id = v_from.owner_id;
        v_per_transaction := (p_limits -> o_privilege_level ->> 0)::bigint;
        v_daily := (p_limits -> o_privilege_level ->> 1)::bigint;
        IF v_per_transaction IS NULL OR v_daily IS NULL THEN
          RAISE EXCEPTION 'no transfer limits for owner % (privilege level %)', v_from.owner_id, o_privilege_level;
        END IF;
        PERFORM pg_advisory_xact_lock(hashtextextended('transfer-allowance:' || v_from.owner_id::text, 0));
        IF p_amount > v_per_transaction THEN
          o_outcome := 'PER_TRANSACTION_LIMIT'; RETURN;
        END IF;

        v_now := clock_timestamp();
        SELECT (SELECT u.sent_total - u.amount FROM transfer_allowance_usage u
                 WHERE u.owner_id = v_from.owner_id AND u.currency = v_from.currency AND u.sent_at > v_now - interval '24 hours'
                 ORDER BY u.sent_at, u.id LIMIT 1),
               (SELECT u.sent_total FROM transfer_allowance_usage u
                 WHERE u.owner_id = v_from.owner_id AND u.currency = v_from.currency AND u.sent_at > v_now - interval '24 hours'
                 ORDER BY u.sent_at DESC, u.id DESC LIMIT 1)
          INTO v_window_base, v_window_total;
        o_sent_24h := COALESCE(v_window_total - v_window_base, 0);
        IF o_sent_24h + p_amount > v_daily THEN
          o_outcome := 'DAILY_LIMIT'; RETURN;
        END IF;
        IF v_from.balance < p_amount THEN
          o_outcome := 'INSUFFICIENT_FUNDS'; RETURN;
        END IF;

        INSERT INTO journal_entries (type, currency, amount, description, created_by, idempotency_key, created_at)
        VALUES ('TRANSFER', v_from.currency, p_amount, p_description, p_actor, p_idempotency_key, clock_timestamp())
        RETURNING id, created_at INTO o_entry_id, o_created_at;
        UPDATE accounts SET balance = balance - p_amount WHERE account_number = p_from RETURNING balance INTO o_balance_after;
        UPDATE accounts SET balance = balance + p_amount WHERE account_number = p_to RETURNING balance INTO v_to_after;
        INSERT INTO postings (entry_id, account_number, amount, balance_after, created_at)
        VALUES (o_entry_id, p_from, -p_amount, o_balance_after, o_created_at),
               (o_entry_id, p_to, p_amount, v_to_after, o_created_at);

        DELETE FROM transfer_allowance_usage u
         WHERE u.owner_id = v_from.owner_id AND u.currency = v_from.currency AND u.sent_at <= v_now - interval '24 hours';
        INSERT INTO transfer_allowance_usage (owner_id, currency, sent_at, amount, sent_total)
        VALUES (v_from.owner_id, v_from.currency, o_created_at, p_amount, COALESCE(v_window_total, 0) + p_amount);

        INSERT INTO audit_log (user_id, action, details, ip, user_agent, request_id)
        VALUES (p_actor, 'MONEY_TRANSFER',
                jsonb_build_object('transactionId', o_entry_id, 'fromAccountNumber', p_from, 'toAccountNumber', p_to,
                                   'amount', p_audit ->> 'amount', 'currency', v_from.currency, 'ownerId', v_from.owner_id),
                p_audit ->> 'ip', p_audit ->> 'userAgent', p_audit ->> 'requestId');
        o_outcome := 'OK';
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION ledger_transfer`);
    await q.query(`DROP TABLE transfer_allowance_usage`);
  }
}
