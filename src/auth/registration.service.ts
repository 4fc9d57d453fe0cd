/**
 * Sign-up and email verification. The account, its verification token (hashed), the audit entry
 * and the verification mail (outbox) are written in ONE transaction: the mail exists exactly when
 * the account does, and sending it later can never block or fail the sign-up.
 */
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/config.service';
import { runInTransaction } from '../infra/database/transaction';
import { DomainError } from '../infra/http/domain-error';
import { MailService } from '../infra/mail/mail.service';
import { AuditService } from '../security/audit/audit.service';
import type { User } from '../users/user';
import { UsersService } from '../users/users.service';
import { RevocationService, waitForClockToPass } from './revocation/revocation.service';
import type { Role } from './auth-user';
import { verificationMail } from './auth-mails';
import { AuthMetrics } from './auth.metrics';
import { AuthTokensRepository } from './auth-tokens.repository';
import { PasswordHasher } from './password-hasher';
import { passwordProblems } from './password-policy';
import { hashToken, isOpaqueTokenShape, newOpaqueToken } from './secret-tokens';

export function weakPassword(field: string, problems: string[]): DomainError {
  return new DomainError(
    'WEAK_PASSWORD',
    400,
    'Password must be 8 to 128 characters with an upper-case letter, a lower-case letter, a digit and a special character',
    problems.map((message) => ({ field, message })),
  );
}

@Injectable()
export class RegistrationService {
  constructor(
    private readonly ds: DataSource,
    private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly repo: AuthTokensRepository,
    private readonly hasher: PasswordHasher,
    private readonly mail: MailService,
    private readonly audit: AuditService,
    private readonly metrics: AuthMetrics,
    private readonly revocations: RevocationService,
  ) {}

  async signUp(input: { email: string; password: string; displayName?: string }): Promise<User> {
    const problems = passwordProblems(input.password);
    if (problems.length > 0) {
      this.metrics.record('signup', 'weak_password');
      throw weakPassword('password', problems);
    }
    const email = input.email.trim().toLowerCase();
    const roles: Role[] = this.config.get('ADMIN_EMAILS').includes(email) ? ['CUSTOMER', 'ADMIN'] : ['CUSTOMER'];
    // Hash before the transaction: argon2 takes tens of ms and must not hold a connection.
    const passwordHash = await this.hasher.hash(input.password);
    const token = newOpaqueToken();
    const ttl = this.config.get('EMAIL_VERIFICATION_TTL_S');
    try {
      const user = await runInTransaction(this.ds, async (tx) => {
        const created = await this.users.createAccount(tx, { email, passwordHash, displayName: input.displayName?.trim() || null, roles });
        await this.repo.insertEmailToken(tx, { userId: created.id, purpose: 'VERIFY_EMAIL', tokenHash: hashToken(token), ttlSeconds: ttl });
        await this.audit.record(tx, { userId: created.id, action: 'AUTH_SIGNUP', details: { email, roles } });
        await this.mail.queue(tx, 'EMAIL_VERIFICATION', verificationMail(email, this.config.get('PUBLIC_BASE_URL'), token, ttl));
        return created;
      });
      this.metrics.record('signup', 'success');
      return user;
    } catch (err) {
      if (err instanceof DomainError && err.code === 'EMAIL_TAKEN') this.metrics.record('signup', 'conflict');
      throw err;
    }
  }

  /**
   * Uses a verification token (once, before it expires) and marks the email verified. Tokens
   * issued before it (with `ev: false`) pass (verified) routes on every replica within a second,
   * like a role change (stamped under the row lock the UPDATE holds; see UsersService).
   */
  async verifyEmail(token: string): Promise<User> {
    if (!isOpaqueTokenShape(token)) return this.invalid();
    const done = await runInTransaction(this.ds, async (tx) => {
      const userId = await this.repo.consumeEmailToken(tx, hashToken(token), 'VERIFY_EMAIL');
      if (!userId) return undefined;
      const verified = await this.users.markEmailVerified(tx, userId);
      await this.audit.record(tx, { userId, action: 'AUTH_EMAIL_VERIFIED', details: { email: verified.email } });
      const at = Date.now();
      await waitForClockToPass(at);
      return { user: verified, at };
    });
    if (!done) return this.invalid();
    await this.revocations.changeAuthorization(done.user.id, done.at, done.user);
    this.metrics.record('verify', 'success');
    return done.user;
  }

  private invalid(): never {
    this.metrics.record('verify', 'invalid');
    throw new DomainError('TOKEN_INVALID', 401, 'The verification link is invalid, expired or already used');
  }
}
