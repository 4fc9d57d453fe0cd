/**
 * Profiles, roles and privilege levels. Exported to the auth module for account creation and
 * credentials (auth never touches the users table itself). Every change an admin makes is
 * audited in the same transaction. Roles and levels live in the access token; a change reaches
 * the tokens already issued through RevocationService (judged with the new values on every
 * replica within a second) and the next ones through refresh, which re-reads the user.
 */
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuthUser, PrivilegeLevel, Role } from '../auth/auth-user';
import { DomainError } from '../infra/http/domain-error';
import { decodeCursor, isTimestampText, isUuidText, toPage, type Page } from '../infra/http/pagination';
import { runInTransaction } from '../infra/database/transaction';
import { RevocationService, waitForClockToPass } from '../auth/revocation/revocation.service';
import { AuditService } from '../security/audit/audit.service';
import { UsersRepository } from './users.repository';
import type { User } from './user';

@Injectable()
export class UsersService {
  constructor(
    private readonly ds: DataSource,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly revocations: RevocationService,
  ) {}

  /** Creates an account inside the caller's transaction; 409 EMAIL_TAKEN when the email is in use. */
  async createAccount(tx: EntityManager, u: { email: string; passwordHash: string; displayName: string | null; roles: Role[] }): Promise<User> {
    const user = await this.users.insert(tx, u);
    if (!user) throw new DomainError('EMAIL_TAKEN', 409, 'An account with this email already exists');
    return user;
  }

  findCredentials(email: string): Promise<{ user: User; passwordHash: string } | undefined> {
    return this.users.findCredentials(email);
  }

  findPasswordHash(userId: string): Promise<string | undefined> {
    return this.users.findPasswordHash(userId);
  }

  /** Row-locks the user and reads the current password hash, in the caller's transaction. */
  lockPasswordHash(tx: EntityManager, userId: string): Promise<string | undefined> {
    return this.users.findPasswordHash(userId, tx, true);
  }

  findIdByEmail(email: string): Promise<string | undefined> {
    return this.users.findIdByEmail(email);
  }

  findById(id: string, tx?: EntityManager): Promise<User | undefined> {
    return this.users.findById(id, tx);
  }

  /** Reads and row-locks a user in the caller's transaction (serialises credential changes). */
  lockById(tx: EntityManager, id: string): Promise<User | undefined> {
    return this.users.findById(id, tx, true);
  }

  async getById(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw new DomainError('NOT_FOUND', 404, 'No such user');
    return user;
  }

  setPasswordHash(tx: EntityManager, userId: string, hash: string): Promise<void> {
    return this.users.setPasswordHash(tx, userId, hash);
  }

  async markEmailVerified(tx: EntityManager, userId: string): Promise<User> {
    const user = await this.users.markEmailVerified(tx, userId);
    if (!user) throw new DomainError('NOT_FOUND', 404, 'No such user');
    return user;
  }

  async updateDisplayName(actor: AuthUser, displayName: string | null): Promise<User> {
    return runInTransaction(this.ds, async (tx) => {
      const before = await this.users.findById(actor.id, tx, true);
      if (!before) throw new DomainError('NOT_FOUND', 404, 'No such user');
      const user = (await this.users.setDisplayName(tx, actor.id, displayName))!;
      await this.audit.record(tx, { userId: actor.id, action: 'USER_PROFILE_UPDATED', details: { displayName: { from: before.displayName, to: displayName } } });
      return user;
    });
  }

  async list(limit: number, cursor?: string): Promise<Page<User>> {
    let after: [string, string] | undefined;
    if (cursor) {
      after = decodeCursor(cursor, ['string', 'string'], ([at, id]) => isTimestampText(String(at)) && isUuidText(String(id))) as [string, string];
    }
    const rows = await this.users.list(limit, after);
    return toPage(rows, limit, (r) => r.key, (r) => r.user);
  }

  /** Replaces a user's roles (ADMIN). An admin cannot drop their own ADMIN role (no lock-out). */
  async setRoles(actor: AuthUser, userId: string, roles: Role[]): Promise<User> {
    const wanted = [...new Set(roles)];
    if (actor.id === userId && !wanted.includes('ADMIN')) {
      throw new DomainError('CONFLICT', 409, 'You cannot remove your own ADMIN role');
    }
    return this.changeAuthorization(userId, async (tx, before) => {
      const user = await this.users.setRoles(tx, userId, wanted);
      await this.audit.record(tx, { userId, action: 'USER_ROLES_CHANGED', details: { actorId: actor.id, from: before.roles, to: user.roles } });
      return user;
    });
  }

  async setPrivilegeLevel(actor: AuthUser, userId: string, level: PrivilegeLevel): Promise<User> {
    return this.changeAuthorization(userId, async (tx, before) => {
      const user = await this.users.setPrivilegeLevel(tx, userId, level);
      await this.audit.record(tx, {
        userId,
        action: 'USER_LEVEL_CHANGED',
        details: { actorId: actor.id, from: before.privilegeLevel, to: user.privilegeLevel },
      });
      return user;
    });
  }

  /**
   * Runs a role or level change under the user's row lock, then tells every replica to judge
   * the user's tokens issued until now with the new values (stamped under the lock; the clock
   * is let pass the stamp before commit, so later tokens, which carry the new values, are not).
   */
  private async changeAuthorization(userId: string, change: (tx: EntityManager, before: User) => Promise<User>): Promise<User> {
    const { user, at } = await runInTransaction(this.ds, async (tx) => {
      const before = await this.users.findById(userId, tx, true);
      if (!before) throw new DomainError('NOT_FOUND', 404, 'No such user');
      const changed = await change(tx, before);
      const stamp = Date.now();
      await waitForClockToPass(stamp);
      return { user: changed, at: stamp };
    });
    await this.revocations.changeAuthorization(user.id, at, user);
    return user;
  }
}
