/**
 * Delivers the mail outbox. Every replica polls every MAIL_POLL_INTERVAL_MS, claims due mails
 * with FOR UPDATE SKIP LOCKED (so no mail is sent twice by two replicas) and sends them one by
 * one through the `mail` circuit breaker. A failed mail is retried with capped exponential
 * backoff, per mail, and given up after MAIL_MAX_ATTEMPTS. While the breaker is open nothing is
 * claimed; a refusal by the breaker does not count as an attempt. Stops at shutdown, after
 * finishing the mail in hand.
 */
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type CircuitBreaker from 'opossum';
import type { Counter } from 'prom-client';
import type { Logger } from 'pino';
import { AppConfig } from '../../config/config.service';
import { MetricsService } from '../../metrics/metrics.service';
import { ShutdownService } from '../lifecycle/shutdown.service';
import { LOGGER } from '../logging/logging.module';
import { BreakerFactory, isBreakerOpenError } from '../resilience/breaker.factory';
import { MailOutboxRepository, type ClaimedMail } from './mail-outbox.repository';
import { MailService } from './mail.service';
import { retryDelayMs, type OutboxMail } from './sealed-payload';

/** nodemailer marks 5xx answers as `permanent` (the message, not the server, is the problem). */
export function isPermanentSmtpError(err: unknown): boolean {
  return (err as { permanent?: boolean } | undefined)?.permanent === true;
}

@Injectable()
export class MailDispatcher implements OnApplicationBootstrap {
  private readonly breaker: CircuitBreaker<[string, OutboxMail], void>;
  private readonly deliveries: Counter<'outcome'>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastPollError = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly mail: MailService,
    private readonly outbox: MailOutboxRepository,
    private readonly shutdown: ShutdownService,
    metrics: MetricsService,
    breakers: BreakerFactory,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.breaker = breakers.createBreaker('mail', (kind: string, m: OutboxMail) => this.mail.deliver(kind, m), {
      // Above the SMTP call's own deadline: the breaker's timeout is a backstop, not the cancel.
      timeout: config.get('MAIL_SEND_TIMEOUT_MS') + 1_000,
      resetTimeout: config.get('MAIL_BREAKER_RESET_MS'),
      volumeThreshold: 5,
      errorThresholdPercentage: 50,
      // A permanent refusal (5xx: no such mailbox...) proves the server is up: it must not trip
      // the breaker, and retrying it is pointless.
      errorFilter: isPermanentSmtpError,
    });
    this.deliveries = metrics.counter('mail_deliveries_total', 'Outbox mail delivery attempts', ['outcome']);
  }

  onApplicationBootstrap(): void {
    this.shutdown.onShutdown({ name: 'mail-dispatcher', close: () => this.stop(), timeoutMs: this.config.get('MAIL_SEND_TIMEOUT_MS') + 2_000 });
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pollOnce().finally(() => {
        this.running = undefined;
        this.schedule(this.config.get('MAIL_POLL_INTERVAL_MS'));
      });
    }, delayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    this.breaker.shutdown();
    this.mail.close();
  }

  /** One round: claim what is due and deliver it. Never throws. */
  async pollOnce(): Promise<void> {
    if (this.breaker.opened) return;
    let claimed: ClaimedMail[];
    try {
      const leaseMs = 2 * this.config.get('MAIL_SEND_TIMEOUT_MS') + 5_000;
      claimed = await this.outbox.claimDue(this.config.get('MAIL_BATCH_SIZE'), leaseMs);
    } catch (err) {
      // Database trouble is reported by readiness; log it here at most every 30 s.
      if (Date.now() - this.lastPollError > 30_000) {
        this.lastPollError = Date.now();
        this.logger.warn({ err: String(err) }, 'mail outbox poll failed');
      }
      return;
    }
    for (const [index, item] of claimed.entries()) {
      if (this.stopped || this.breaker.opened) {
        // Hand the rest back untouched: another round (or replica) takes them.
        for (const rest of claimed.slice(index)) await this.outbox.release(rest.id, 0).catch(() => undefined);
        return;
      }
      await this.deliverOne(item);
    }
  }

  private async deliverOne(item: ClaimedMail): Promise<void> {
    let message: OutboxMail;
    try {
      if (!item.payload) throw new Error('payload missing');
      message = this.mail.open(item.payload);
    } catch (err) {
      this.deliveries.inc({ outcome: 'unreadable' });
      this.logger.error({ mailId: item.id, kind: item.kind, err: String(err) }, 'outbox mail cannot be opened (secret rotated?); giving up');
      await this.outbox.markFailed(item.id, 'payload cannot be opened').catch(() => undefined);
      return;
    }
    try {
      await this.breaker.fire(item.kind, message);
      this.deliveries.inc({ outcome: 'sent' });
      await this.outbox.markSent(item.id);
    } catch (err) {
      await this.onFailure(item, err).catch((e: unknown) => this.logger.warn({ mailId: item.id, err: String(e) }, 'could not reschedule mail'));
    }
  }

  private async onFailure(item: ClaimedMail, err: unknown): Promise<void> {
    if (isBreakerOpenError(err)) {
      this.deliveries.inc({ outcome: 'deferred' });
      await this.outbox.release(item.id, 0);
      return;
    }
    const reason = err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err);
    if (isPermanentSmtpError(err)) {
      this.deliveries.inc({ outcome: 'rejected' });
      this.logger.error({ mailId: item.id, kind: item.kind, reason }, 'mail refused permanently by the SMTP server; giving up');
      await this.outbox.markFailed(item.id, reason);
      return;
    }
    if (item.attempts >= this.config.get('MAIL_MAX_ATTEMPTS')) {
      this.deliveries.inc({ outcome: 'given_up' });
      this.logger.error({ mailId: item.id, kind: item.kind, attempts: item.attempts, reason }, 'mail given up after its last attempt');
      await this.outbox.markFailed(item.id, reason);
      return;
    }
    this.deliveries.inc({ outcome: 'failed' });
    const delay = retryDelayMs(item.attempts, this.config.get('MAIL_RETRY_BASE_MS'), this.config.get('MAIL_RETRY_MAX_MS'));
    this.logger.warn({ mailId: item.id, kind: item.kind, attempts: item.attempts, retryInMs: delay, reason }, 'mail delivery failed; will retry');
    await this.outbox.reschedule(item.id, delay, reason);
  }
}
