/**
 * Sessions are refresh-token families. Sign-in starts a family; each refresh spends the token
 * presented and issues the next one in the same family (rotation); a spent token presented again
 * means it was copied, so the whole family is revoked (401 TOKEN_REUSED) and the event audited.
 * Refresh re-reads the user, so role, level and verification changes reach the next access token.
 * Ending a session (sign-out, reuse) also recalls its access tokens at once, on every replica
 * (RevocationService): they carry the family id in `fam`.
 *
 * Concurrency: every path that changes a user's tokens first row-locks the user, so a refresh
 * and a sign-out or password change on the same user run one after the other and a revocation
 * never misses a token issued concurrently. Of two refreshes with the same token, the first
 * spends it and the second sees a spent token: reuse.
 */
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { AppConfig } from '../config/config.service';
import { runInTransaction } from '../infra/database/transaction';
import { DomainError } from '../infra/http/domain-error';
import { AuditService } from '../security/audit/audit.service';
import { SecurityEventsService } from '../security/security-events.service';
import { UsersService } from '../users/users.service';
import { toAuthUser, type User } from '../users/user';
import { AuthMetrics } from './auth.metrics';
import { AuthTokensRepository } from './auth-tokens.repository';
import { RevocationService, waitForClockToPass } from './revocation/revocation.service';
import { hashToken, isOpaqueTokenShape, newOpaqueToken } from './secret-tokens';
import { TokenService } from './token.service';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

const tokenInvalid = () => new DomainError('TOKEN_INVALID', 401, 'The token is invalid, expired or already used');
const tokenReused = () => new DomainError('TOKEN_REUSED', 401, 'This refresh token was already used; the session has been revoked, sign in again');

type Outcome =
  | { kind: 'ok'; pair: TokenPair }
  | { kind: 'signed-out'; familyId: string }
  | { kind: 'reused'; userId: string; familyId: string }
  | { kind: 'invalid' };

@Injectable()
export class SessionsService {
  constructor(
    private readonly ds: DataSource,
    private readonly config: AppConfig,
    private readonly tokens: TokenService,
    private readonly repo: AuthTokensRepository,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly securityEvents: SecurityEventsService,
    private readonly metrics: AuthMetrics,
    private readonly revocations: RevocationService,
  ) {}

  /** Issues an access token and the next refresh token of `familyId` (a new family when omitted). */
  async issue(tx: EntityManager, user: User, familyId: string = randomUUID()): Promise<TokenPair> {
    const refreshToken = newOpaqueToken();
    await this.repo.insertRefreshToken(tx, {
      userId: user.id,
      familyId,
      tokenHash: hashToken(refreshToken),
      ttlSeconds: this.config.get('JWT_REFRESH_TTL'),
    });
    return {
      accessToken: this.tokens.signAccess(toAuthUser(user), familyId),
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.tokens.accessTtlSeconds,
    };
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const outcome = await this.withTokenOwnerLocked(refreshToken, async (tx, tokenHash) => {
      const spent = await this.repo.spendRefreshToken(tx, tokenHash);
      if (!spent) return this.reuseOrInvalid(tx, tokenHash);
      const user = await this.users.findById(spent.userId, tx);
      if (!user) return { kind: 'invalid' };
      const pair = await this.issue(tx, user, spent.familyId);
      await this.audit.record(tx, { userId: user.id, action: 'AUTH_REFRESH', details: { familyId: spent.familyId } });
      return { kind: 'ok', pair };
    });
    await this.settle('refresh', outcome);
    return (outcome as Extract<Outcome, { kind: 'ok' }>).pair;
  }

  /** Revokes the token's family. Idempotent for a live or revoked token; a spent one is reuse. */
  async signOut(refreshToken: string): Promise<void> {
    const outcome = await this.withTokenOwnerLocked(refreshToken, async (tx, tokenHash) => {
      const row = await this.repo.findRefreshToken(tx, tokenHash);
      if (!row) return { kind: 'invalid' };
      if (row.spent) return this.reuseOrInvalid(tx, tokenHash);
      const revoked = await this.repo.revokeFamily(tx, row.familyId);
      await this.audit.record(tx, { userId: row.userId, action: 'AUTH_SIGNOUT', details: { familyId: row.familyId, revokedTokens: revoked } });
      return { kind: 'signed-out', familyId: row.familyId };
    });
    await this.settle('signout', outcome);
  }

  /**
   * Revokes all of a user's sessions but `keepFamilyId`, inside the caller's transaction, which
   * must hold the user's row lock. Call `recall` after commit: it voids, on every replica, the
   * user's access tokens issued until now (but the kept session's). The instant is stamped under
   * the lock and the clock is let pass it, so tokens issued after the commit are not affected.
   */
  async revokeAll(tx: EntityManager, userId: string, keepFamilyId?: string): Promise<{ revokedSessions: number; recall: () => Promise<void> }> {
    const revokedSessions = await this.repo.revokeUserFamilies(tx, userId, keepFamilyId);
    const at = Date.now();
    await waitForClockToPass(at);
    return { revokedSessions, recall: () => this.revocations.revokeUserTokens(userId, at, keepFamilyId) };
  }

  /**
   * Runs `work` in a transaction holding the lock on the token owner's user row. The token is
   * looked up (by hash) before and again inside the lock, so `work` sees its latest state.
   */
  private async withTokenOwnerLocked(token: string, work: (tx: EntityManager, tokenHash: string) => Promise<Outcome>): Promise<Outcome> {
    if (!isOpaqueTokenShape(token)) return { kind: 'invalid' };
    const tokenHash = hashToken(token);
    return runInTransaction(this.ds, async (tx) => {
      const owner = await this.repo.findRefreshToken(tx, tokenHash);
      if (!owner) return { kind: 'invalid' };
      await this.users.lockById(tx, owner.userId);
      return work(tx, tokenHash);
    });
  }

  /** A token that could not be spent: spent before means reuse (the family is revoked). */
  private async reuseOrInvalid(tx: EntityManager, tokenHash: string): Promise<Outcome> {
    const row = await this.repo.findRefreshToken(tx, tokenHash);
    if (!row?.spent) return { kind: 'invalid' };
    const revoked = await this.repo.revokeFamily(tx, row.familyId);
    await this.audit.record(tx, { userId: row.userId, action: 'AUTH_TOKEN_REUSED', details: { familyId: row.familyId, revokedTokens: revoked } });
    return { kind: 'reused', userId: row.userId, familyId: row.familyId };
  }

  /**
   * After commit: counts the outcome, recalls the access tokens of an ended session on every
   * replica, reports reuse, and throws unless it succeeded.
   */
  private async settle(event: 'refresh' | 'signout', outcome: Outcome): Promise<void> {
    switch (outcome.kind) {
      case 'ok':
        this.metrics.record(event, 'success');
        return;
      case 'signed-out':
        await this.revocations.revokeSession(outcome.familyId);
        this.metrics.record(event, 'success');
        return;
      case 'reused':
        await this.revocations.revokeSession(outcome.familyId);
        this.metrics.record(event, 'reused');
        await this.securityEvents.record(outcome.userId, 'TOKEN_REUSED').catch(() => undefined);
        throw tokenReused();
      case 'invalid':
        this.metrics.record(event, 'invalid');
        throw tokenInvalid();
    }
  }
}
