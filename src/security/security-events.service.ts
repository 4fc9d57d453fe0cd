/**
 * Abuse detection input: modules report security events (failed sign-ins, token reuse, 429s,
 * forbidden accesses, over-budget bids...) per user. ABUSE_THRESHOLD events inside a SLIDING
 * window (not a fixed one, which lets up to twice the threshold through across its edge) flag
 * the user on every replica. The flag is written with SET NX, so it is raised — and audited —
 * once, whichever replica saw the event, and stays until an ADMIN clears it.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '../config/config.service';
import { LOGGER } from '../infra/logging/logging.module';
import { SHARED_STORE } from '../infra/redis/redis.module';
import type { SharedStore } from '../infra/redis/shared-store';
import { AuditService } from './audit/audit.service';

export type SecurityEventKind =
  | 'SIGNIN_FAILED'
  | 'TOKEN_REUSED'
  | 'RATE_LIMITED'
  | 'FORBIDDEN'
  | 'NOT_FOUND_PROBE'
  | 'BID_OVER_BUDGET'
  | 'INVALID_TOKEN';

export interface UserFlag {
  userId: string;
  flaggedAt: string;
  /** The event that reached the threshold. */
  lastEvent: SecurityEventKind;
  /** Events counted in the window when the flag was raised. */
  events: number;
  windowSeconds: number;
}

const eventsKey = (userId: string) => `abuse:events:{${userId}}`;
const flagKey = (userId: string) => `abuse:flag:{${userId}}`;
const FLAG_PREFIX = 'abuse:flag:{';

@Injectable()
export class SecurityEventsService {
  constructor(
    private readonly config: AppConfig,
    @Inject(SHARED_STORE) private readonly store: SharedStore,
    private readonly audit: AuditService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * An error answered to a user identified by a verified access token (the HTTP filter): a 403
   * FORBIDDEN — a role guard's or an ownership check's — is a security event. Other refusals
   * (404 on someone else's resource, 429, over-budget bids, failed sign-ins, token reuse) are
   * reported where they are decided, which alone knows what they mean. Never fails the request.
   */
  reportRefusal(userId: string, refusal: { status: number; code: string }): void {
    if (refusal.status !== 403 || refusal.code !== 'FORBIDDEN') return;
    this.record(userId, 'FORBIDDEN').catch((err: unknown) => this.logger.warn({ err: String(err) }, 'could not record security event'));
  }

  /** Counts one event for the user; returns true when this event made the user flagged. */
  async record(userId: string, kind: SecurityEventKind): Promise<boolean> {
    // Its own setting: turning throttling off (ENABLE_RATE_LIMITING) does not stop abuse detection.
    if (!this.config.get('ENABLE_ABUSE_DETECTION')) return false;
    const { limit, windowMs } = this.config.get('ABUSE_THRESHOLD');
    // Once the window holds `limit` events further ones are not stored (bounded memory); the
    // threshold is reached exactly by the hit that makes the count equal `limit`.
    const hit = await this.store.hitWindow(eventsKey(userId), limit, windowMs);
    if (!hit.allowed || hit.count < limit) return false;
    const flag: UserFlag = { userId, flaggedAt: new Date().toISOString(), lastEvent: kind, events: hit.count, windowSeconds: windowMs / 1000 };
    if (!(await this.store.setIfAbsent(flagKey(userId), JSON.stringify(flag)))) return false;
    this.logger.warn({ userId, lastEvent: kind, events: hit.count }, 'user flagged for abuse');
    await this.audit
      .recordStandalone({ userId, action: 'SECURITY_USER_FLAGGED', details: { lastEvent: kind, events: hit.count, windowSeconds: flag.windowSeconds } })
      .catch((err: unknown) => this.logger.error({ err: String(err), userId }, 'could not audit user flag'));
    return true;
  }

  async isFlagged(userId: string): Promise<boolean> {
    return (await this.store.get(flagKey(userId))) !== null;
  }

  /** Every flagged user (admin listing). */
  async flaggedUsers(): Promise<UserFlag[]> {
    const keys = await this.store.keys(FLAG_PREFIX);
    const flags: UserFlag[] = [];
    for (const key of keys) {
      const raw = await this.store.get(key);
      if (!raw) continue;
      try {
        flags.push(JSON.parse(raw) as UserFlag);
      } catch {
        this.logger.warn({ key }, 'unreadable abuse flag ignored');
      }
    }
    return flags.sort((a, b) => a.flaggedAt.localeCompare(b.flaggedAt));
  }

  /** Clears the flag and the user's counted events; true when a flag existed. */
  async clearFlag(userId: string): Promise<boolean> {
    const existed = (await this.store.get(flagKey(userId))) !== null;
    await this.store.del(flagKey(userId));
    await this.store.del(eventsKey(userId));
    return existed;
  }
}
