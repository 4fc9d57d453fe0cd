/**
 * Abuse detection input: modules report security events (failed sign-ins, token reuse, 429s,
 * forbidden accesses, over-budget bids...) per user; ABUSE_THRESHOLD events in its window
 * flag the user on every replica.
 */
import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/config.service';
import { SHARED_STORE } from '../infra/redis/redis.module';
import type { SharedStore } from '../infra/redis/shared-store';

export type SecurityEventKind =
  | 'SIGNIN_FAILED'
  | 'TOKEN_REUSED'
  | 'RATE_LIMITED'
  | 'FORBIDDEN'
  | 'NOT_FOUND_PROBE'
  | 'BID_OVER_BUDGET'
  | 'INVALID_TOKEN';

@Injectable()
export class SecurityEventsService {
  constructor(
    private readonly config: AppConfig,
    @Inject(SHARED_STORE) private readonly store: SharedStore,
  ) {}

  /** Counts one event for the user; returns true when this event made the user flagged. */
  async record(userId: string, kind: SecurityEventKind): Promise<boolean> {
    if (!this.config.get('ENABLE_RATE_LIMITING')) return false;
    const { limit, windowMs } = this.config.get('ABUSE_THRESHOLD');
    const count = await this.store.increment(`abuse:count:${userId}`, windowMs);
    if (count === limit) {
      await this.store.set(`abuse:flag:${userId}`, JSON.stringify({ userId, flaggedAt: new Date().toISOString(), lastEvent: kind, events: count }));
      return true;
    }
    return false;
  }

  async isFlagged(userId: string): Promise<boolean> {
    return (await this.store.get(`abuse:flag:${userId}`)) !== null;
  }
}
