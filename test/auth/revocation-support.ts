/** Helpers for the revocation and key-rotation tests: verified accounts, polling until every replica refuses, socket endings, metrics. */
import { api, sleep, sql, type AppProcess } from '../harness';
import type { RecordingSocket } from '../auctions/support';
import { PASSWORD, signIn, signUp } from './auth-helpers';

export interface Account {
  id: string;
  email: string;
}

/** Signs up through the API and marks the email verified (sockets need a verified user). */
export async function verifiedAccount(baseUrl: string, db: string): Promise<Account> {
  const { email, user } = await signUp(baseUrl);
  await sql(db, `UPDATE users SET email_verified_at = now() WHERE id = $1`, [user.id]);
  return { id: user.id, email };
}

export type Session = Awaited<ReturnType<typeof signIn>>;

export function session(baseUrl: string, account: Account, password = PASSWORD): Promise<Session> {
  return signIn(baseUrl, account.email, password);
}

export const ME = '/api/v1/users/me';
export const ADMIN_ROUTE = '/api/v1/users?limit=1';

/**
 * Polls GET `path` with `token` on every replica (every ~5 ms) until each answers `status`.
 * Returns the ms from the call to the moment the last replica first answered it; fails after `timeoutMs`.
 */
export async function untilEveryReplica(apps: AppProcess[], token: string, status: number, opts: { path?: string; timeoutMs?: number } = {}): Promise<number> {
  const started = Date.now();
  const deadline = started + (opts.timeoutMs ?? 1_000);
  const seenAt = new Map<AppProcess, number>();
  const last = new Map<AppProcess, number>();
  while (seenAt.size < apps.length) {
    await Promise.all(
      apps
        .filter((a) => !seenAt.has(a))
        .map(async (a) => {
          const res = await api(a.baseUrl, 'GET', opts.path ?? ME, { token });
          last.set(a, res.status);
          if (res.status === status) seenAt.set(a, Date.now() - started);
        }),
    );
    if (seenAt.size === apps.length) break;
    if (Date.now() > deadline) {
      throw new Error(`not every replica answered ${status} within ${opts.timeoutMs ?? 1_000} ms: ${apps.map((a) => `${a.port}=${last.get(a)}`).join(', ')}`);
    }
    await sleep(5);
  }
  return Math.max(...seenAt.values());
}

/** Every replica answers `status` now (no waiting). */
export async function everyReplicaAnswers(apps: AppProcess[], token: string, status: number, path = ME): Promise<void> {
  const statuses = await Promise.all(apps.map(async (a) => (await api(a.baseUrl, 'GET', path, { token })).status));
  expect(statuses).toEqual(apps.map(() => status));
}

/** Waits until the socket got `session_expired` and was disconnected by the server. */
export async function untilSessionEnded(s: RecordingSocket, timeoutMs = 1_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (s.of('session_expired').length > 0 && !s.socket.connected) {
      expect(s.of('session_expired')[0]).toEqual({ code: 'UNAUTHENTICATED' });
      return;
    }
    await sleep(5);
  }
  throw new Error(`socket not ended within ${timeoutMs} ms (session_expired: ${s.of('session_expired').length}, connected: ${s.socket.connected})`);
}

/** The value of one series in /metrics (0 when absent). */
export async function metric(baseUrl: string, series: string): Promise<number> {
  const text = (await api<string>(baseUrl, 'GET', '/metrics')).body;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
