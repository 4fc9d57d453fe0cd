/**
 * IP protection (DESIGN.md §7): more than IP_BLOCK_THRESHOLD requests in its window from one
 * client IP blocks that IP for IP_BLOCK_DURATION_S on every replica. Counting and blocking happen
 * in the throttling guard's `ip` throttler (one atomic script per request), and here for the
 * requests no guard sees: unmatched routes and Socket.IO handshakes (`admit`). Socket.IO events
 * ride on an admitted connection and are not requests: they are refused while their IP is blocked
 * (`refusalWhileBlocked`), so a blocked client cannot go on bidding over a socket it opened
 * before. This service also owns what follows from a block — one audit entry and one metric
 * increment per block, written by the replica whose request started it — and the ADMIN view.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import type { Logger } from 'pino';
import { AppConfig } from '../../config/config.service';
import { DomainError } from '../../infra/http/domain-error';
import { LOGGER } from '../../infra/logging/logging.module';
import { MetricsService } from '../../metrics/metrics.service';
import { AuditService } from '../audit/audit.service';
import { IP_THROTTLER, SharedThrottlerStorage, type SharedThrottlerRecord } from '../throttling/shared-throttler.storage';
import { ipSubject } from '../throttling/subjects';

export interface BlockedIp {
  ip: string;
  expiresAt: Date;
}

@Injectable()
export class IpProtectionService {
  private readonly blocksTotal: Counter;
  private readonly enabled: boolean;
  private readonly window: { limit: number; windowMs: number; blockMs: number };

  constructor(
    private readonly storage: SharedThrottlerStorage,
    private readonly audit: AuditService,
    metrics: MetricsService,
    config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.blocksTotal = metrics.counter('ip_blocks_total', 'Client IPs blocked for exceeding IP_BLOCK_THRESHOLD (counted once per block, by the replica that started it)');
    this.enabled = config.get('ENABLE_RATE_LIMITING');
    const { limit, windowMs } = config.get('IP_BLOCK_THRESHOLD');
    this.window = { limit, windowMs, blockMs: config.get('IP_BLOCK_DURATION_S') * 1000 };
  }

  /**
   * Counts one request of `ip` in the IP window, as the throttling guard counts a routed one:
   * the 403 IP_BLOCKED to answer (a block that starts now is reported), or undefined to go on.
   */
  admit(ip: string): Promise<DomainError | undefined> {
    if (!this.enabled) return Promise.resolve(undefined);
    const { limit, windowMs, blockMs } = this.window;
    // Not async: on the throttling guard's path for every request, one promise less.
    return this.storage.increment(ipSubject(ip), windowMs, limit, blockMs, IP_THROTTLER).then((record) => this.refusalFor(ip, record));
  }

  /** What a counted hit of `ip` answers: undefined, or 403 IP_BLOCKED (a block starting now is reported). */
  refusalFor(ip: string, record: SharedThrottlerRecord): DomainError | undefined {
    if (!record.isBlocked) return undefined;
    if (record.blockedNow) this.blockStarted(ip, record.timeToBlockExpire);
    return this.blockedError(record.timeToBlockExpire);
  }

  /** The 403 IP_BLOCKED while `ip` is blocked, counting nothing (one read of the block's TTL). */
  async refusalWhileBlocked(ip: string): Promise<DomainError | undefined> {
    if (!this.enabled) return undefined;
    const ms = await this.storage.blockedForMs(ipSubject(ip));
    return ms > 0 ? this.blockedError(Math.max(1, Math.ceil(ms / 1000))) : undefined;
  }

  /** Called exactly once per block (the storage decides atomically which request started it). */
  blockStarted(ip: string, retryAfterSeconds: number): void {
    this.blocksTotal.inc();
    this.logger.warn({ ip, blockedForSeconds: retryAfterSeconds }, 'client IP blocked');
    // Off the request path: the 403 must not wait for the database.
    this.audit
      .recordStandalone({ userId: null, action: 'SECURITY_IP_BLOCKED', details: { ip } })
      .catch((err: unknown) => this.logger.error({ err: String(err), ip }, 'could not audit IP block'));
  }

  blockedError(retryAfterSeconds: number): DomainError {
    return new DomainError('IP_BLOCKED', 403, 'Too many requests from your address; it is blocked for a while', undefined, {
      'Retry-After': String(retryAfterSeconds),
    });
  }

  async blockedIps(): Promise<BlockedIp[]> {
    const blocked = await this.storage.blocked('ip:');
    return blocked.map((b) => ({ ip: b.subject.slice('ip:'.length), expiresAt: b.expiresAt }));
  }

  /** Lifts the block and clears the IP's counter; audited as done by `adminId`. */
  async unblock(ip: string, adminId: string): Promise<void> {
    const wasBlocked = await this.storage.unblock(ipSubject(ip));
    await this.audit.recordStandalone({ userId: adminId, action: 'SECURITY_IP_UNBLOCKED', details: { ip, wasBlocked } });
  }
}
