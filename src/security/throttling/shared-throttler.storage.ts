/**
 * The @nestjs/throttler storage on our limiter store: every check-and-count is ONE atomic
 * operation (one Lua script on Redis), so N allowed means exactly N across replicas.
 *
 * Two behaviours, chosen by throttler name:
 * - `ip`: a sliding window plus a block. The request over the limit blocks the subject for
 *   blockDuration; exactly one caller on any replica is told it started the block (`blockedNow`).
 * - every other throttler (`route` budgets): a plain sliding window; a refused hit is not counted
 *   and the subject may go again as soon as its oldest hit leaves the window.
 *
 * When Redis cannot answer, `route` follows RATE_LIMIT_FAIL_MODE (open = this replica's local
 * window, closed = StoreUnavailableError → 503); `ip` always falls back locally, since failing it
 * closed would take every route down.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { AppConfig } from '../../config/config.service';
import type { ResilientStore } from '../../infra/redis/resilient-store';
import { LIMITER_STORE } from './limiter-store.token';

export const IP_THROTTLER = 'ip';
export const ROUTE_THROTTLER = 'route';

export interface SharedThrottlerRecord extends ThrottlerStorageRecord {
  /** True for the one hit (across replicas) that started a block. */
  blockedNow: boolean;
}

export interface BlockedSubject {
  /** e.g. `ip:203.0.113.7` */
  subject: string;
  expiresAt: Date;
}

const seconds = (ms: number) => Math.ceil(ms / 1000);
// Window and block keys share the {subject} hash tag, so the two-key script runs on Redis Cluster.
const windowKey = (key: string) => `rl:{${key}}`;
const blockKey = (key: string) => `rl-block:{${key}}`;

@Injectable()
export class SharedThrottlerStorage implements ThrottlerStorage {
  private readonly failClosed: boolean;

  constructor(
    @Inject(LIMITER_STORE) readonly store: ResilientStore,
    config: AppConfig,
  ) {
    this.failClosed = config.get('RATE_LIMIT_FAIL_MODE') === 'closed';
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<SharedThrottlerRecord> {
    if (throttlerName === IP_THROTTLER) {
      const blockValue = String(Date.now()); // when the block started (ms); the listing reads the TTL
      const res = await this.store.run((s) => s.hitBlockingWindow(windowKey(key), blockKey(key), limit, ttl, blockDuration, blockValue));
      return {
        totalHits: res.blocked ? limit + 1 : res.count,
        timeToExpire: seconds(ttl),
        isBlocked: res.blocked,
        timeToBlockExpire: res.blocked ? Math.max(1, seconds(res.resetMs)) : 0,
        blockedNow: res.blockedNow,
      };
    }
    const res = await this.store.run((s) => s.hitWindow(windowKey(key), limit, ttl), this.failClosed ? 'fail' : 'fallback');
    return {
      totalHits: res.allowed ? res.count : limit + 1,
      timeToExpire: seconds(res.resetMs),
      isBlocked: !res.allowed,
      timeToBlockExpire: res.allowed ? 0 : Math.max(1, seconds(res.resetMs)),
      blockedNow: false,
    };
  }

  /** Hits currently counted for `key` (no hit is added). */
  usage(key: string, windowMs: number): Promise<{ count: number; resetMs: number }> {
    return this.store.run((s) => s.windowUsage(windowKey(key), windowMs), this.failClosed ? 'fail' : 'fallback');
  }

  /** How long `key` stays blocked, in ms (0: not blocked); no hit is added. */
  async blockedForMs(key: string): Promise<number> {
    return Math.max(0, await this.store.ttl(blockKey(key)));
  }

  /** Subjects blocked right now whose key starts with `prefix` (e.g. `ip:`). */
  async blocked(prefix: string): Promise<BlockedSubject[]> {
    const keys = await this.store.keys(`rl-block:{${prefix}`);
    const now = Date.now();
    const out: BlockedSubject[] = [];
    for (const k of keys) {
      const ttl = await this.store.ttl(k);
      if (ttl === -2) continue;
      const subject = k.slice('rl-block:{'.length, k.endsWith('}') ? -1 : undefined);
      out.push({ subject, expiresAt: new Date(now + Math.max(0, ttl)) });
    }
    return out.sort((a, b) => a.subject.localeCompare(b.subject));
  }

  /** Lifts a block and forgets the subject's counted hits; true when a block existed. */
  async unblock(key: string): Promise<boolean> {
    const existed = (await this.store.ttl(blockKey(key))) !== -2;
    await this.store.del(blockKey(key));
    await this.store.del(windowKey(key));
    return existed;
  }
}
