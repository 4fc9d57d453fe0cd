/**
 * IP protection (DESIGN.md §7): more than IP_BLOCK_THRESHOLD requests in its window from one
 * client IP blocks that IP for IP_BLOCK_DURATION_S on every replica. Counting and blocking happen
 * in the throttling guard's `ip` throttler (one atomic script per request); this service owns
 * what follows from a block — one audit entry and one metric increment per block, written by the
 * replica whose request started it — and the ADMIN view of blocks.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import type { Logger } from 'pino';
import { DomainError } from '../../infra/http/domain-error';
import { LOGGER } from '../../infra/logging/logging.module';
import { MetricsService } from '../../metrics/metrics.service';
import { AuditService } from '../audit/audit.service';
import { SharedThrottlerStorage } from '../throttling/shared-throttler.storage';
import { ipSubject } from '../throttling/subjects';

export interface BlockedIp {
  ip: string;
  expiresAt: Date;
}

@Injectable()
export class IpProtectionService {
  private readonly blocksTotal: Counter;

  constructor(
    private readonly storage: SharedThrottlerStorage,
    private readonly audit: AuditService,
    metrics: MetricsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.blocksTotal = metrics.counter('ip_blocks_total', 'Client IPs blocked for exceeding IP_BLOCK_THRESHOLD (counted once per block, by the replica that started it)');
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
