/**
 * Users as real clients: sign up, read the verification mail (no SMTP_URL: the app writes each
 * mail as a JSON log line, the soak's "mailbox"), verify, sign in, refresh, sign out. Token
 * families are remembered so the checker can tell a spent or revoked refresh token from a live one.
 */
import { randomUUID } from 'node:crypto';
import type { AppProcess } from '../test/harness';
import { ok, type SoakClient } from './client';
import type { Fleet } from './fleet';

export const PASSWORD = 'Soak-Passw0rd!';

export interface SoakUser {
  id: string;
  email: string;
  access: string;
  refresh: string;
  /** Client-side id of the current refresh family (one per sign-in). */
  family: string;
  /** Refresh tokens this client already spent (a replay of one must be refused). */
  spent: string[];
  accounts: string[];
  leagues: string[];
  greedy: boolean;
}

/** Refresh token → the client's family id, for the checker. */
export type FamilyLog = Map<string, string>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads verification links out of every replica's log, incrementally. */
export class Mailbox {
  private readonly offsets = new Map<AppProcess, number>();
  private readonly links = new Map<string, string>();
  constructor(private readonly fleet: Fleet) {}

  private scan(): void {
    for (const slot of this.fleet.slots) {
      for (const app of slot.history) {
        const out = app.output();
        const from = this.offsets.get(app) ?? 0;
        const end = out.lastIndexOf('\n') + 1;
        if (end <= from) continue;
        for (const line of out.slice(from, end).split('\n')) {
          if (!line.includes('"mail"') || !line.includes('/auth/verify')) continue;
          try {
            const mail = (JSON.parse(line) as { mail?: { to?: string; link?: string } }).mail;
            if (mail?.to && mail.link) this.links.set(mail.to.toLowerCase(), mail.link);
          } catch {
            /* not a JSON line */
          }
        }
        this.offsets.set(app, end);
      }
    }
  }

  async verificationToken(email: string, timeoutMs = 60_000): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      this.scan();
      const link = this.links.get(email.toLowerCase());
      if (link) return new URL(link).searchParams.get('token') ?? undefined;
      await sleep(250);
    }
    return undefined;
  }
}

export class Accounts {
  constructor(
    private readonly client: SoakClient,
    private readonly mailbox: Mailbox,
    readonly families: FamilyLog,
  ) {}

  /** Sign-up → mail → verify → sign-in; undefined when any step could not complete in time. */
  async register(label: string, greedy = false): Promise<SoakUser | undefined> {
    const email = `${label}-${randomUUID().slice(0, 8)}@soak.test`;
    const signup = await this.client.request('signup', 'POST', '/api/v1/auth/signup', {
      body: { email, password: PASSWORD, displayName: label },
    });
    // A retried sign-up whose first attempt went through answers 409 EMAIL_TAKEN: the mail is on its way.
    if (!ok(signup) && signup.code !== 'EMAIL_TAKEN') return undefined;
    const token = await this.mailbox.verificationToken(email);
    if (!token) return undefined;
    const verify = await this.client.request('verify', 'POST', '/api/v1/auth/verify', { body: { token } });
    if (!ok(verify)) return undefined;
    const user: SoakUser = {
      id: '',
      email,
      access: '',
      refresh: '',
      family: '',
      spent: [],
      accounts: [],
      leagues: [],
      greedy,
    };
    if (!(await this.signIn(user))) return undefined;
    user.id = (JSON.parse(Buffer.from(user.access.split('.')[1], 'base64url').toString()) as { sub: string }).sub;
    return user;
  }

  async signIn(user: SoakUser): Promise<boolean> {
    for (let i = 0; i < 5; i++) {
      const res = await this.client.request('signin', 'POST', '/api/v1/auth/signin', {
        body: { email: user.email, password: PASSWORD },
        userId: user.id || undefined,
      });
      if (ok(res)) {
        this.adopt(user, res.body, randomUUID());
        return true;
      }
      await sleep(500);
    }
    return false;
  }

  private adopt(user: SoakUser, body: { accessToken: string; refreshToken: string }, family: string): void {
    user.access = body.accessToken;
    user.refresh = body.refreshToken;
    user.family = family;
    this.families.set(body.refreshToken, family);
  }

  /** Rotates the pair; an unknown outcome or a refusal means signing in again (never a retry). */
  async refresh(user: SoakUser): Promise<void> {
    const presented = user.refresh;
    const res = await this.client.request('refresh', 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: presented },
      userId: user.id,
      retry: 'never',
    });
    if (ok(res)) {
      user.spent.push(presented);
      if (user.spent.length > 5) user.spent.shift();
      this.adopt(user, res.body, user.family);
      return;
    }
    if (res.status !== undefined && res.status >= 500) return; // nothing happened that we know of: keep the pair
    await this.signIn(user);
  }

  /** An attacker replays a spent refresh token: refused, and the whole family is revoked. */
  async replaySpent(user: SoakUser): Promise<void> {
    const old = user.spent[0];
    if (!old) return;
    await this.client.request('refresh', 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: old },
      userId: user.id,
      retry: 'never',
    });
    // The live token of the family must now be refused too; then the user signs in again.
    await this.client.request('refresh', 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: user.refresh },
      userId: user.id,
      retry: 'never',
    });
    user.spent = [];
    await this.signIn(user);
  }

  /** Signs out; the old access token is probed a little later (revocation must bite within 1 s). */
  async signOut(user: SoakUser, probes: Array<Promise<void>>): Promise<void> {
    const res = await this.client.request('signout', 'POST', '/api/v1/auth/signout', {
      body: { refreshToken: user.refresh },
      token: user.access,
      userId: user.id,
      retry: 'refused-only',
    });
    if (res.status === 204) {
      const { access, refresh } = user;
      probes.push(
        (async () => {
          await sleep(1_500);
          await this.client.request('probe', 'GET', '/api/v1/users/me', {
            token: access,
            userId: user.id,
            retry: 'refused-only',
          });
          await this.client.request('refresh', 'POST', '/api/v1/auth/refresh', {
            body: { refreshToken: refresh },
            userId: user.id,
            retry: 'never',
          });
        })(),
      );
    }
    user.spent = [];
    await this.signIn(user);
  }
}
