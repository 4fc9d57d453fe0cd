/**
 * Helpers for integration tests: a fresh migrated database per test file, direct SQL,
 * users and tokens in one line, and a small JSON HTTP client.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import jwt from 'jsonwebtoken';
import { keyIdOf } from '../../src/auth/signing-keys';
import { migrate, TEST_JWT_SECRET } from './processes';
import { assertDocumentedAnswer } from './openapi-contract';
import { recordDatabase } from './made-databases';

export * from './processes';
export * from './fault-proxy';

export function sharedPostgresUrl(): string {
  const url = process.env.BW_TEST_PG_URL;
  if (!url) throw new Error('BW_TEST_PG_URL is not set: run integration tests through `npm test` (jest globalSetup)');
  return url;
}

export function sharedRedisUrl(): string {
  const url = process.env.BW_TEST_REDIS_URL;
  if (!url) throw new Error('BW_TEST_REDIS_URL is not set: run integration tests through `npm test` (jest globalSetup)');
  return url;
}

/** Creates a database on the shared server, applies migrations (unless told not to), returns its URL. */
export async function createDatabase(serverUrl = sharedPostgresUrl(), opts: { migrate?: boolean } = {}): Promise<string> {
  const name = `t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  recordDatabase(serverUrl, name); // dropped when the test file ends
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  if (opts.migrate !== false) migrate(url.toString());
  return url.toString();
}

/** Runs one query on its own connection. */
export async function sql<T = Record<string, unknown>>(databaseUrl: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** One query on TypeORM's own path (not AppDataSource's shortcut): a QueryRunner made, used once and released. */
export async function viaRunner(ds: DataSource, query: string, params?: unknown[]): Promise<unknown> {
  const runner = ds.createQueryRunner();
  try {
    return await runner.query(query, params);
  } finally {
    await runner.release();
  }
}

export type Role = 'CUSTOMER' | 'TELLER' | 'ADMIN';
export type Level = 'BASIC' | 'PREMIUM' | 'BUSINESS';

export interface TestUser {
  id: string;
  email: string;
  roles: Role[];
  privilegeLevel: Level;
  emailVerified: boolean;
  token: string;
}

/** A user inserted directly (no sign-up flow), with a valid access token. */
export async function createUser(
  databaseUrl: string,
  opts: { email?: string; roles?: Role[]; level?: Level; verified?: boolean; passwordHash?: string } = {},
): Promise<TestUser> {
  const email = opts.email ?? `user-${randomUUID().slice(0, 8)}@example.test`;
  const roles = opts.roles ?? ['CUSTOMER'];
  const level = opts.level ?? 'BASIC';
  const verified = opts.verified ?? true;
  const [row] = await sql<{ id: string }>(
    databaseUrl,
    `INSERT INTO users (email, password_hash, roles, privilege_level, email_verified_at)
     VALUES ($1, $2, $3, $4, CASE WHEN $5::boolean THEN now() END) RETURNING id`,
    [email, opts.passwordHash ?? '!unusable', roles, level, verified],
  );
  const user = { id: row.id, email, roles, privilegeLevel: level, emailVerified: verified };
  return { ...user, token: tokenFor(user) };
}

/**
 * An access token shaped like the app's: `kid` of the signing secret in the header, `iat` in whole
 * seconds with the ms issue time in `ims`, and a session id (`fam`) of its own. That session has no refresh family behind it:
 * nothing can sign it out, but every revocation of the user (password change by another session,
 * reset, lockout) and every role/level change applies to it like to any other token.
 */
export function tokenFor(
  user: { id: string; email: string; roles: Role[]; privilegeLevel: Level; emailVerified: boolean },
  opts: { expiresIn?: number; secret?: string; audience?: string; issuer?: string; kid?: string | null; familyId?: string } = {},
): string {
  const secret = opts.secret ?? TEST_JWT_SECRET;
  const kid = opts.kid === undefined ? keyIdOf(secret) : opts.kid;
  const now = Date.now();
  const claims = {
    sub: user.id,
    email: user.email,
    roles: user.roles,
    lvl: user.privilegeLevel,
    ev: user.emailVerified,
    fam: opts.familyId ?? randomUUID(),
    iat: Math.floor(now / 1000),
    ims: now,
  };
  return jwt.sign(claims, secret, {
    algorithm: 'HS256',
    expiresIn: opts.expiresIn ?? 900,
    issuer: opts.issuer ?? 'bulwark',
    audience: opts.audience ?? 'bulwark-api',
    jwtid: randomUUID(),
    ...(kid === null ? {} : { keyid: kid }),
  });
}

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * JSON request against an app instance. Every answer is checked against the OpenAPI document
 * (openapi-contract.ts); pass `undocumented: true` only for requests that deliberately leave the
 * contract (a raw byte stream the HTTP server refuses before routing, say) and say why.
 */
export async function api<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string; undocumented?: boolean } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  const res = await fetch(baseUrl + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text.length > 0) parsed = JSON.parse(text);
  if (!opts.undocumented) {
    await assertDocumentedAnswer(method, path, { status: res.status, headers: Object.fromEntries(res.headers.entries()), body: parsed, text });
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}
