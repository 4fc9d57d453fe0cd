/**
 * Sign-in with lockout. Unknown email and wrong password get the same answer (401
 * INVALID_CREDENTIALS) after the same work (an argon2 verification, against a dummy hash when
 * there is no account). Failures are counted per email in the SharedStore (all replicas agree);
 * the failure that reaches LOCKOUT_THRESHOLD locks the email and answers 423 ACCOUNT_LOCKED, as
 * does every attempt while the lock lasts, with Retry-After; locking ends the account's sessions.
 * Success forgives earlier failures.
 */
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { runInTransaction } from '../infra/database/transaction';
import { DomainError } from '../infra/http/domain-error';
import { AuditService } from '../security/audit/audit.service';
import { SecurityEventsService } from '../security/security-events.service';
import { UsersService } from '../users/users.service';
import { AuthMetrics } from './auth.metrics';
import { LockoutService } from './lockout.service';
import { PasswordHasher } from './password-hasher';
import { SessionsService, type TokenPair } from './sessions.service';

const locked = (seconds: number) =>
  new DomainError('ACCOUNT_LOCKED', 423, 'Too many failed sign-ins: the account is locked for a while', undefined, { 'Retry-After': String(seconds) });

@Injectable()
export class SignInService {
  constructor(
    private readonly ds: DataSource,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly lockout: LockoutService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly securityEvents: SecurityEventsService,
    private readonly metrics: AuthMetrics,
  ) {}

  async signIn(emailInput: string, password: string): Promise<TokenPair> {
    const email = emailInput.trim().toLowerCase();
    const lockedFor = await this.lockout.lockedForSeconds(email);
    const account = await this.users.findCredentials(email);
    if (lockedFor > 0) {
      this.metrics.record('signin', 'locked');
      await this.audit.recordStandalone({ userId: account?.user.id ?? null, action: 'AUTH_SIGNIN_FAILED', details: { email, reason: 'locked' } });
      throw locked(lockedFor);
    }

    const ok = await this.hasher.verify(account?.passwordHash, password);
    if (!account || !ok) {
      await this.onFailure(email, account?.user.id);
      throw new DomainError('INVALID_CREDENTIALS', 401, 'Email or password is wrong');
    }

    await this.lockout.clearFailures(email);
    const pair = await runInTransaction(this.ds, async (tx) => {
      // Under the user's lock, the password checked must still be the current one: a session is
      // never issued against a password that a concurrent reset or change has just replaced.
      if ((await this.users.lockPasswordHash(tx, account.user.id)) !== account.passwordHash) {
        throw new DomainError('INVALID_CREDENTIALS', 401, 'Email or password is wrong');
      }
      const tokens = await this.sessions.issue(tx, account.user);
      await this.audit.record(tx, { userId: account.user.id, action: 'AUTH_SIGNIN', details: { email } });
      return tokens;
    });
    this.metrics.record('signin', 'success');
    return pair;
  }

  /**
   * A lockout means someone is guessing the password: every session of the account ends, and
   * its access tokens stop working on every replica (DESIGN §4). Returns how many were cut.
   */
  private async endSessions(userId: string): Promise<number> {
    const revoked = await runInTransaction(this.ds, async (tx) => {
      if (!(await this.users.lockById(tx, userId))) return undefined;
      return this.sessions.revokeAll(tx, userId);
    });
    if (!revoked) return 0;
    await revoked.recall();
    return revoked.revokedSessions;
  }

  /** Counts the failure, audits it, reports it; throws 423 when it locked the account. */
  private async onFailure(email: string, userId: string | undefined): Promise<void> {
    const outcome = await this.lockout.registerFailure(email);
    const reason = userId ? 'wrong_password' : 'unknown_email';
    await this.audit.recordStandalone({ userId: userId ?? null, action: 'AUTH_SIGNIN_FAILED', details: { email, reason } });
    if (userId) await this.securityEvents.record(userId, 'SIGNIN_FAILED').catch(() => undefined);
    if (outcome.justLocked) {
      const revokedSessions = userId ? await this.endSessions(userId) : 0;
      await this.audit.recordStandalone({
        userId: userId ?? null,
        action: 'AUTH_ACCOUNT_LOCKED',
        details: { email, lockSeconds: outcome.retryAfterSeconds, revokedSessions },
      });
    }
    if (outcome.locked) {
      this.metrics.record('signin', 'locked');
      throw locked(outcome.retryAfterSeconds);
    }
    this.metrics.record('signin', 'failure');
  }
}
