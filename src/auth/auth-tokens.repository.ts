/**
 * SQL of the auth module's own tables: refresh-token families and one-time email tokens.
 * Only SHA-256 hashes of tokens are stored and searched. All methods run inside the caller's
 * transaction; spending and consuming are single conditional UPDATEs, so of two concurrent
 * uses of one token exactly one wins.
 */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export type EmailTokenPurpose = 'VERIFY_EMAIL' | 'RESET_PASSWORD';

export interface RefreshTokenRow {
  userId: string;
  familyId: string;
  spent: boolean;
  revoked: boolean;
  expired: boolean;
}

@Injectable()
export class AuthTokensRepository {
  async insertRefreshToken(tx: EntityManager, t: { userId: string; familyId: string; tokenHash: string; ttlSeconds: number }): Promise<void> {
    await tx.query(
      `INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at) VALUES ($1, $2, $3, now() + ($4::int * interval '1 second'))`,
      [t.userId, t.familyId, t.tokenHash, t.ttlSeconds],
    );
  }

  async findRefreshToken(tx: EntityManager, tokenHash: string): Promise<RefreshTokenRow | undefined> {
    const rows: Array<{ user_id: string; family_id: string; spent: boolean; revoked: boolean; expired: boolean }> = await tx.query(
      `SELECT user_id, family_id, spent_at IS NOT NULL AS spent, revoked_at IS NOT NULL AS revoked, expires_at <= now() AS expired
         FROM refresh_tokens WHERE token_hash = $1`,
      [tokenHash],
    );
    const r = rows[0];
    return r ? { userId: r.user_id, familyId: r.family_id, spent: r.spent, revoked: r.revoked, expired: r.expired } : undefined;
  }

  /** Spends a live token (atomic: one winner); undefined when it is unknown, spent, revoked or expired. */
  async spendRefreshToken(tx: EntityManager, tokenHash: string): Promise<{ userId: string; familyId: string } | undefined> {
    const [rows] = (await tx.query(
      `UPDATE refresh_tokens SET spent_at = now()
        WHERE token_hash = $1 AND spent_at IS NULL AND revoked_at IS NULL AND expires_at > now()
        RETURNING user_id, family_id`,
      [tokenHash],
    )) as [Array<{ user_id: string; family_id: string }>, number];
    return rows[0] ? { userId: rows[0].user_id, familyId: rows[0].family_id } : undefined;
  }

  /** Revokes every token of a family; returns how many were still unrevoked. */
  async revokeFamily(tx: EntityManager, familyId: string): Promise<number> {
    const [, count] = (await tx.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, [familyId])) as [
      unknown,
      number,
    ];
    return count;
  }

  /** Revokes all of a user's families but `keepFamilyId`; returns how many families were cut. */
  async revokeUserFamilies(tx: EntityManager, userId: string, keepFamilyId?: string): Promise<number> {
    const rows: Array<{ families: string }> = await tx.query(
      `WITH cut AS (
         UPDATE refresh_tokens SET revoked_at = now()
          WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR family_id <> $2::uuid)
          RETURNING family_id)
       SELECT count(DISTINCT family_id) AS families FROM cut`,
      [userId, keepFamilyId ?? null],
    );
    return Number(rows[0]?.families ?? 0);
  }

  async insertEmailToken(tx: EntityManager, t: { userId: string; purpose: EmailTokenPurpose; tokenHash: string; ttlSeconds: number }): Promise<void> {
    await tx.query(
      `INSERT INTO email_tokens (user_id, purpose, token_hash, expires_at) VALUES ($1, $2, $3, now() + ($4::int * interval '1 second'))`,
      [t.userId, t.purpose, t.tokenHash, t.ttlSeconds],
    );
  }

  /** Uses a one-time token (atomic); returns its user, or undefined when unknown, used or expired. */
  async consumeEmailToken(tx: EntityManager, tokenHash: string, purpose: EmailTokenPurpose): Promise<string | undefined> {
    const [rows] = (await tx.query(
      `UPDATE email_tokens SET used_at = now()
        WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
        RETURNING user_id`,
      [tokenHash, purpose],
    )) as [Array<{ user_id: string }>, number];
    return rows[0]?.user_id;
  }

  /** Voids a user's outstanding tokens of one purpose (a newer link replaces older ones). */
  async voidEmailTokens(tx: EntityManager, userId: string, purpose: EmailTokenPurpose): Promise<void> {
    await tx.query(`UPDATE email_tokens SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`, [userId, purpose]);
  }
}
