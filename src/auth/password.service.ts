/**
 * Forgotten, reset and changed passwords.
 * - forgot: always 202, whether the account exists or not (no enumeration); for an existing
 *   account a reset token (hashed, PASSWORD_RESET_TTL_S, single-use; it voids earlier ones), the
 *   audit entry and the mail are written in one transaction.
 * - reset: uses the token once, sets the new hash, revokes every session (and, on every replica,
 *   every access token issued before), lifts any lockout.
 * - change (signed in): checks the current password, sets the new one and revokes every other
 *   session and its access tokens; the caller's own session (the `fam` claim of its access
 *   token) is kept.
 */
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/config.service';
import { runInTransaction } from '../infra/database/transaction';
import { DomainError } from '../infra/http/domain-error';
import { MailService } from '../infra/mail/mail.service';
import { AuditService } from '../security/audit/audit.service';
import { UsersService } from '../users/users.service';
import { passwordResetMail } from './auth-mails';
import type { AuthUser } from './auth-user';
import { AuthMetrics } from './auth.metrics';
import { AuthTokensRepository } from './auth-tokens.repository';
import { LockoutService } from './lockout.service';
import { PasswordHasher } from './password-hasher';
import { passwordProblems } from './password-policy';
import { weakPassword } from './registration.service';
import { hashToken, isOpaqueTokenShape, newOpaqueToken } from './secret-tokens';
import { SessionsService } from './sessions.service';

@Injectable()
export class PasswordService {
  constructor(
    private readonly ds: DataSource,
    private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly repo: AuthTokensRepository,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly lockout: LockoutService,
    private readonly mail: MailService,
    private readonly audit: AuditService,
    private readonly metrics: AuthMetrics,
  ) {}

  async requestReset(emailInput: string): Promise<void> {
    const email = emailInput.trim().toLowerCase();
    const userId = await this.users.findIdByEmail(email);
    this.metrics.record('password_forgot', 'success');
    if (!userId) {
      await this.audit.recordStandalone({ userId: null, action: 'AUTH_PASSWORD_RESET_REQUESTED', details: { email, accountExists: false } });
      return;
    }
    const token = newOpaqueToken();
    const ttl = this.config.get('PASSWORD_RESET_TTL_S');
    await runInTransaction(this.ds, async (tx) => {
      await this.repo.voidEmailTokens(tx, userId, 'RESET_PASSWORD');
      await this.repo.insertEmailToken(tx, { userId, purpose: 'RESET_PASSWORD', tokenHash: hashToken(token), ttlSeconds: ttl });
      await this.audit.record(tx, { userId, action: 'AUTH_PASSWORD_RESET_REQUESTED', details: { email, accountExists: true } });
      await this.mail.queue(tx, 'PASSWORD_RESET', passwordResetMail(email, this.config.get('PUBLIC_BASE_URL'), token, ttl));
    });
  }

  async reset(token: string, newPassword: string): Promise<void> {
    const problems = passwordProblems(newPassword);
    if (problems.length > 0) {
      this.metrics.record('password_reset', 'weak_password');
      throw weakPassword('newPassword', problems);
    }
    const invalid = () => {
      this.metrics.record('password_reset', 'invalid');
      return new DomainError('TOKEN_INVALID', 401, 'The reset token is invalid, expired or already used');
    };
    if (!isOpaqueTokenShape(token)) throw invalid();
    const passwordHash = await this.hasher.hash(newPassword);
    const done = await runInTransaction(this.ds, async (tx) => {
      const userId = await this.repo.consumeEmailToken(tx, hashToken(token), 'RESET_PASSWORD');
      if (!userId) return undefined;
      const user = await this.users.lockById(tx, userId);
      if (!user) return undefined;
      await this.users.setPasswordHash(tx, userId, passwordHash);
      await this.repo.voidEmailTokens(tx, userId, 'RESET_PASSWORD');
      const { revokedSessions, recall } = await this.sessions.revokeAll(tx, userId);
      await this.audit.record(tx, { userId, action: 'AUTH_PASSWORD_RESET', details: { revokedSessions } });
      return { email: user.email, recall };
    });
    if (!done) throw invalid();
    await done.recall();
    await this.lockout.unlock(done.email);
    this.metrics.record('password_reset', 'success');
  }

  async change(actor: AuthUser, currentPassword: string, newPassword: string): Promise<void> {
    const problems = passwordProblems(newPassword);
    if (problems.length > 0) {
      this.metrics.record('password_change', 'weak_password');
      throw weakPassword('newPassword', problems);
    }
    const stored = await this.users.findPasswordHash(actor.id);
    if (!(await this.hasher.verify(stored, currentPassword))) {
      this.metrics.record('password_change', 'failure');
      throw new DomainError('INVALID_CREDENTIALS', 401, 'The current password is wrong');
    }
    const passwordHash = await this.hasher.hash(newPassword);
    const recall = await runInTransaction(this.ds, async (tx) => {
      if (!(await this.users.lockById(tx, actor.id))) throw new DomainError('UNAUTHENTICATED', 401, 'Access token is missing, invalid or expired');
      await this.users.setPasswordHash(tx, actor.id, passwordHash);
      const revoked = await this.sessions.revokeAll(tx, actor.id, actor.familyId);
      await this.audit.record(tx, {
        userId: actor.id,
        action: 'AUTH_PASSWORD_CHANGED',
        details: { revokedSessions: revoked.revokedSessions, keptFamilyId: actor.familyId ?? null },
      });
      return revoked.recall;
    });
    await recall();
    this.metrics.record('password_change', 'success');
  }
}
