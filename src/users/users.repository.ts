/**
 * All SQL on `users`. Methods that are part of a use case's transaction take its EntityManager;
 * reads outside one use the pool. Emails are stored lower-cased (unique on lower(email)).
 */
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { PrivilegeLevel, Role } from '../auth/auth-user';
import type { User } from './user';

interface UserRow {
  id: string;
  email: string;
  display_name: string | null;
  roles: Role[];
  privilege_level: PrivilegeLevel;
  email_verified_at: Date | null;
  created_at: Date;
  created_key: string;
}

const COLUMNS = `id, email, display_name, roles, privilege_level, email_verified_at, created_at, created_at::text AS created_key`;

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    roles: row.roles,
    privilegeLevel: row.privilege_level,
    emailVerified: row.email_verified_at !== null,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** TypeORM answers an UPDATE ... RETURNING with [rows, affectedCount]. */
function updatedRows(result: unknown): UserRow[] {
  return (result as [UserRow[], number])[0];
}

export interface UserListRow {
  user: User;
  /** Exact (microsecond) created_at text plus id: the sort key of the list. */
  key: [string, string];
}

@Injectable()
export class UsersRepository {
  constructor(private readonly ds: DataSource) {}

  /** Inserts a user; undefined when the email is taken (no exception, no aborted transaction). */
  async insert(tx: EntityManager, u: { email: string; passwordHash: string; displayName: string | null; roles: Role[] }): Promise<User | undefined> {
    const rows: UserRow[] = await tx.query(
      `INSERT INTO users (email, password_hash, display_name, roles) VALUES ($1, $2, $3, $4)
       ON CONFLICT ((lower(email))) DO NOTHING RETURNING ${COLUMNS}`,
      [u.email, u.passwordHash, u.displayName, u.roles],
    );
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  async findCredentials(email: string): Promise<{ user: User; passwordHash: string } | undefined> {
    const rows: Array<UserRow & { password_hash: string }> = await this.ds.query(
      `SELECT ${COLUMNS}, password_hash FROM users WHERE lower(email) = lower($1)`,
      [email],
    );
    return rows[0] ? { user: toUser(rows[0]), passwordHash: rows[0].password_hash } : undefined;
  }

  async findPasswordHash(id: string, tx: EntityManager = this.ds.manager, forUpdate = false): Promise<string | undefined> {
    const rows: Array<{ password_hash: string }> = await tx.query(`SELECT password_hash FROM users WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0]?.password_hash;
  }

  async findById(id: string, tx: EntityManager = this.ds.manager, forUpdate = false): Promise<User | undefined> {
    const rows: UserRow[] = await tx.query(`SELECT ${COLUMNS} FROM users WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  async findIdByEmail(email: string): Promise<string | undefined> {
    const rows: Array<{ id: string }> = await this.ds.query(`SELECT id FROM users WHERE lower(email) = lower($1)`, [email]);
    return rows[0]?.id;
  }

  async setPasswordHash(tx: EntityManager, id: string, hash: string): Promise<void> {
    await tx.query(`UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, [id, hash]);
  }

  /** Sets email_verified_at once (a second verification keeps the first time). */
  async markEmailVerified(tx: EntityManager, id: string): Promise<User | undefined> {
    const rows = updatedRows(await tx.query(
      `UPDATE users SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    ));
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  async setDisplayName(tx: EntityManager, id: string, displayName: string | null): Promise<User | undefined> {
    const rows = updatedRows(await tx.query(`UPDATE users SET display_name = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`, [id, displayName]));
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  async setRoles(tx: EntityManager, id: string, roles: Role[]): Promise<User> {
    const rows = updatedRows(await tx.query(`UPDATE users SET roles = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`, [id, roles]));
    return toUser(rows[0]);
  }

  async setPrivilegeLevel(tx: EntityManager, id: string, level: PrivilegeLevel): Promise<User> {
    const rows = updatedRows(await tx.query(`UPDATE users SET privilege_level = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`, [id, level]));
    return toUser(rows[0]);
  }

  /** Oldest first, keyset-paginated on (created_at, id); fetches limit + 1 rows. */
  async list(limit: number, after?: [string, string]): Promise<UserListRow[]> {
    const rows: UserRow[] = after
      ? await this.ds.query(
          `SELECT ${COLUMNS} FROM users WHERE (created_at, id) > ($1::timestamptz, $2::uuid) ORDER BY created_at, id LIMIT $3`,
          [after[0], after[1], limit + 1],
        )
      : await this.ds.query(`SELECT ${COLUMNS} FROM users ORDER BY created_at, id LIMIT $1`, [limit + 1]);
    return rows.map((r) => ({ user: toUser(r), key: [r.created_key, r.id] }));
  }
}
