import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The double-entry ledger. Balances are integer minor units (bigint). Every movement is one
 * journal entry whose postings sum to zero, enforced by a deferred constraint trigger, and the
 * ledger is append-only. Customer balances can never go negative (CHECK); each currency has one
 * SETTLEMENT account (the bank's side of deposits and withdrawals) that may.
 */
export class Ledger1764000002000 implements MigrationInterface {
  name = 'Ledger1764000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts (
        account_number text PRIMARY KEY,
        owner_id uuid REFERENCES users(id),
        kind text NOT NULL CHECK (kind IN ('CUSTOMER', 'SETTLEMENT')),
        currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        balance bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT accounts_customer_balance_not_negative CHECK (kind <> 'CUSTOMER' OR balance >= 0),
        CONSTRAINT accounts_customer_has_owner CHECK (kind <> 'CUSTOMER' OR owner_id IS NOT NULL),
        CONSTRAINT accounts_settlement_has_no_owner CHECK (kind <> 'SETTLEMENT' OR owner_id IS NULL)
      )`);
    await q.query(`CREATE INDEX accounts_owner_idx ON accounts (owner_id, account_number)`);
    await q.query(`CREATE UNIQUE INDEX accounts_one_settlement_per_currency ON accounts (currency) WHERE kind = 'SETTLEMENT'`);

    await q.query(`
      CREATE TABLE journal_entries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        type text NOT NULL CHECK (type IN ('DEPOSIT', 'WITHDRAWAL', 'TRANSFER')),
        currency text NOT NULL,
        amount bigint NOT NULL CHECK (amount > 0),
        description text NOT NULL,
        created_by uuid NOT NULL REFERENCES users(id),
        idempotency_key text,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX journal_entries_created_idx ON journal_entries (created_at)`);

    await q.query(`
      CREATE TABLE postings (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        entry_id uuid NOT NULL REFERENCES journal_entries(id),
        account_number text NOT NULL REFERENCES accounts(account_number),
        amount bigint NOT NULL CHECK (amount <> 0),
        balance_after bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    // Transaction log, newest first. Posting ids are drawn while the account row is locked, so
    // per account they follow the order in which balances changed (created_at may tie).
    await q.query(`CREATE INDEX postings_account_log_idx ON postings (account_number, id DESC)`);
    // Daily transfer limit: an account's debits in the last 24 hours.
    await q.query(`CREATE INDEX postings_account_debits_idx ON postings (account_number, created_at) WHERE amount < 0`);
    await q.query(`CREATE INDEX postings_entry_idx ON postings (entry_id)`);

    // Checked at COMMIT, so an entry's postings may be written one by one but never left unbalanced.
    await q.query(`
      CREATE FUNCTION postings_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE total numeric;
      BEGIN
        SELECT sum(amount) INTO total FROM postings WHERE entry_id = NEW.entry_id;
        IF total <> 0 THEN
          RAISE EXCEPTION 'journal entry % is unbalanced (postings sum to %)', NEW.entry_id, total
            USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER postings_entry_balanced AFTER INSERT ON postings
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION postings_entry_balanced()`);

    await q.query(`
      CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$`);
    await q.query(`
      CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
      FOR EACH ROW EXECUTE FUNCTION ledger_append_only()`);
    await q.query(`
      CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
      FOR EACH ROW EXECUTE FUNCTION ledger_append_only()`);

    await q.query(`
      CREATE TABLE idempotency_keys (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
        request_hash text NOT NULL,
        status_code int,
        response_body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        CONSTRAINT idempotency_keys_user_key_uq UNIQUE (user_id, key)
      )`);
    await q.query(`CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at)`);

    await q.query(`
      INSERT INTO accounts (account_number, kind, currency)
      VALUES ('SETTLEMENT-GBP', 'SETTLEMENT', 'GBP'), ('SETTLEMENT-EUR', 'SETTLEMENT', 'EUR'), ('SETTLEMENT-USD', 'SETTLEMENT', 'USD')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP TABLE postings`);
    await q.query(`DROP TABLE journal_entries`);
    await q.query(`DROP FUNCTION postings_entry_balanced`);
    await q.query(`DROP FUNCTION ledger_append_only`);
    await q.query(`DROP TABLE accounts`);
  }
}
