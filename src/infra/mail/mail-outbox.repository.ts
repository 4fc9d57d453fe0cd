/**
 * SQL of the mail outbox. Mails are inserted in the transaction of the change that causes them
 * (sign-up, password reset request), so a mail exists exactly when its change committed.
 * Dispatchers claim due mails with FOR UPDATE SKIP LOCKED and push their next_attempt_at out by
 * a lease in the same statement, so no two replicas ever hold the same mail, and no connection
 * or lock is held while SMTP is talked to. A replica that dies mid-send lets the lease run out
 * and another one retries.
 */
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

export interface ClaimedMail {
  id: string;
  kind: string;
  payload: Buffer | null;
  attempts: number;
}

@Injectable()
export class MailOutboxRepository {
  constructor(private readonly ds: DataSource) {}

  async enqueue(tx: EntityManager, kind: string, payload: Buffer): Promise<void> {
    await tx.query(`INSERT INTO mail_outbox (kind, payload) VALUES ($1, $2)`, [kind, payload]);
  }

  /** Claims up to `limit` due mails for `leaseMs`, counting an attempt for each. */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedMail[]> {
    // An UPDATE ... RETURNING comes back from TypeORM as [rows, affectedCount].
    const [rows] = (await this.ds.query(
      `UPDATE mail_outbox m
          SET attempts = m.attempts + 1,
              next_attempt_at = now() + ($2::int * interval '1 millisecond')
        WHERE m.id IN (
          SELECT id FROM mail_outbox
           WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
           ORDER BY next_attempt_at, id
           LIMIT $1
           FOR UPDATE SKIP LOCKED)
        RETURNING m.id, m.kind, m.payload, m.attempts`,
      [limit, leaseMs],
    )) as [Array<{ id: string; kind: string; payload: Buffer | null; attempts: number }>, number];
    return rows.map((r) => ({ ...r, id: String(r.id) }));
  }

  /** Delivered: the sealed payload (with its live link) is wiped. */
  async markSent(id: string): Promise<void> {
    await this.ds.query(`UPDATE mail_outbox SET sent_at = now(), payload = NULL, last_error = NULL WHERE id = $1`, [id]);
  }

  async reschedule(id: string, delayMs: number, error: string): Promise<void> {
    await this.ds.query(
      `UPDATE mail_outbox SET next_attempt_at = now() + ($2::int * interval '1 millisecond'), last_error = $3 WHERE id = $1`,
      [id, delayMs, error.slice(0, 500)],
    );
  }

  /** Nothing was attempted (the breaker refused): the claim does not count as an attempt. */
  async release(id: string, delayMs: number): Promise<void> {
    await this.ds.query(
      `UPDATE mail_outbox SET attempts = greatest(attempts - 1, 0), next_attempt_at = now() + ($2::int * interval '1 millisecond') WHERE id = $1`,
      [id, delayMs],
    );
  }

  async markFailed(id: string, error: string): Promise<void> {
    await this.ds.query(`UPDATE mail_outbox SET failed_at = now(), payload = NULL, last_error = $2 WHERE id = $1`, [id, error.slice(0, 500)]);
  }
}
