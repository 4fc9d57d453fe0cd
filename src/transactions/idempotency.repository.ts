/**
 * SQL for Idempotency-Key records (one per user and key). A key is claimed inside the money
 * transaction, and its answer stored in that same transaction, so a committed key always has
 * an answer and an aborted request leaves no trace.
 */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export interface StoredAnswer {
  requestHash: string;
  statusCode: number | null;
  responseBody: Record<string, unknown> | null;
}

@Injectable()
export class IdempotencyRepository {
  /**
   * Claims (userId, key) for this transaction. Returns false when another request holds it:
   * either a committed record exists, or a request with the same key is still running.
   *
   * The transaction-scoped advisory lock is tried first, in the same statement, so a retry never
   * waits on the first request's uncommitted row (READ COMMITTED would block the INSERT until the
   * first commits): it fails at once and the caller answers 409 IDEMPOTENCY_IN_PROGRESS.
   * The DO UPDATE only takes over a record whose 24 h have passed; a live record is never touched.
   */
  async claim(tx: EntityManager, userId: string, key: string, requestHash: string, ttlSeconds: number): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO idempotency_keys (user_id, key, request_hash, expires_at)
       SELECT $1::uuid, $2::text, $3::text, now() + make_interval(secs => $4::double precision)
        WHERE pg_try_advisory_xact_lock(hashtextextended($5::text, 0))
       ON CONFLICT (user_id, key) DO UPDATE
          SET request_hash = EXCLUDED.request_hash, status_code = NULL, response_body = NULL,
              created_at = now(), expires_at = EXCLUDED.expires_at
        WHERE idempotency_keys.expires_at <= now()
       RETURNING id`,
      [userId, key, requestHash, ttlSeconds, `idempotency:${userId}:${key}`],
    );
    return rows.length === 1;
  }

  /** Stores the answer of the claimed key, in the transaction that claimed it. */
  async storeAnswer(tx: EntityManager, userId: string, key: string, statusCode: number, body: Record<string, unknown>): Promise<void> {
    await tx.query(`UPDATE idempotency_keys SET status_code = $3, response_body = $4 WHERE user_id = $1 AND key = $2`, [
      userId,
      key,
      statusCode,
      JSON.stringify(body),
    ]);
  }

  /** The committed, unexpired record of a key, if any. */
  async findLive(em: EntityManager, userId: string, key: string): Promise<StoredAnswer | undefined> {
    const rows: Array<{ request_hash: string; status_code: number | null; response_body: Record<string, unknown> | null }> = await em.query(
      `SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND expires_at > now()`,
      [userId, key],
    );
    const r = rows[0];
    return r ? { requestHash: r.request_hash, statusCode: r.status_code, responseBody: r.response_body } : undefined;
  }
}
