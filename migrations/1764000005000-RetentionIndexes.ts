import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for retention's purge (src/infra/retention): each batch picks the oldest rows past
 * retention by an index instead of scanning the table, so a batch stays a short statement however
 * large the table has grown. (idempotency_keys already has idempotency_keys_expiry_idx.)
 * mail_outbox's is partial: only mails sent or given up on are ever purged.
 */
export class RetentionIndexes1764000005000 implements MigrationInterface {
  name = 'RetentionIndexes1764000005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS refresh_tokens_expiry_idx ON refresh_tokens (expires_at)`);
    await q.query(`CREATE INDEX IF NOT EXISTS email_tokens_expiry_idx ON email_tokens (expires_at)`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS mail_outbox_done_idx ON mail_outbox (created_at) WHERE sent_at IS NOT NULL OR failed_at IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS mail_outbox_done_idx`);
    await q.query(`DROP INDEX IF EXISTS email_tokens_expiry_idx`);
    await q.query(`DROP INDEX IF EXISTS refresh_tokens_expiry_idx`);
  }
}
