/**
 * The purge statements of retention, one per table that grows with use and is not history.
 * Never here: users, accounts, journal entries, postings, leagues, auctions, bids, auction
 * events, the audit log — history, kept for good. (transfer_allowance_usage prunes itself: the
 * transfer function deletes an owner's rows older than the 24 h window on each transfer.)
 *
 * Each call deletes at most `batch` rows picked by primary key with FOR UPDATE SKIP LOCKED, in
 * its own short autocommit statement: a row some request holds is skipped (taken next time),
 * no lock is held between batches, and every WHERE is served by an index.
 */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export const RETENTION_TABLES = ['refresh_tokens', 'email_tokens', 'idempotency_keys', 'mail_outbox'] as const;
export type RetentionTable = (typeof RETENTION_TABLES)[number];

export interface RetentionPeriods {
  /** Refresh tokens (spent, revoked or not) this long past their expiry; reuse detection needs them until then. */
  refreshTokensDays: number;
  /** Verification and reset tokens (used or not) this long past their expiry. */
  emailTokensDays: number;
  /** Mails sent or given up on this long ago. */
  mailOutboxDays: number;
}

/** Rows past retention, as `id IN (...)` candidates ($1 = batch size, $2 = days). */
function candidates(table: RetentionTable): string {
  switch (table) {
    case 'refresh_tokens':
    case 'email_tokens':
      return `SELECT id FROM ${table} WHERE expires_at < now() - make_interval(days => $2) LIMIT $1 FOR UPDATE SKIP LOCKED`;
    case 'idempotency_keys':
      // Only past the replay window (expires_at = first use + IDEMPOTENCY_KEY_TTL_S): never a live record.
      return `SELECT id FROM idempotency_keys WHERE expires_at <= now() - make_interval(days => $2) LIMIT $1 FOR UPDATE SKIP LOCKED`;
    case 'mail_outbox':
      return `SELECT id FROM mail_outbox WHERE (sent_at IS NOT NULL OR failed_at IS NOT NULL)
                AND created_at < now() - make_interval(days => $2) LIMIT $1 FOR UPDATE SKIP LOCKED`;
  }
}

@Injectable()
export class RetentionRepository {
  /** Deletes one batch of `table`'s rows past retention; returns how many went. */
  async purgeBatch(em: EntityManager, table: RetentionTable, batch: number, periods: RetentionPeriods): Promise<number> {
    const days = { refresh_tokens: periods.refreshTokensDays, email_tokens: periods.emailTokensDays, idempotency_keys: 0, mail_outbox: periods.mailOutboxDays }[table];
    const rows: unknown = await em.query(`DELETE FROM ${table} WHERE id IN (${candidates(table)})`, [batch, days]);
    // TypeORM's postgres driver answers a DELETE with [rows, rowCount].
    return Array.isArray(rows) && typeof rows[1] === 'number' ? rows[1] : 0;
  }
}
