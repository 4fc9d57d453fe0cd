/**
 * The one mailer. Modules never send directly: they `queue` a mail inside the transaction of
 * the change that causes it (so an SMTP outage can never block or fail that change), and the
 * MailDispatcher delivers it later through `deliver`. With SMTP_URL, delivery goes over SMTP
 * with its own deadline (connection, greeting, socket and a per-send AbortSignal); without it,
 * the mail is written to the log as one JSON line carrying the link (development mode).
 */
import { Inject, Injectable } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../../config/config.service';
import { LOGGER } from '../logging/logging.module';
import { MailOutboxRepository } from './mail-outbox.repository';
import { deriveOutboxKey, openMail, sealMail, type OutboxMail } from './sealed-payload';

export type MailKind = 'EMAIL_VERIFICATION' | 'PASSWORD_RESET';

@Injectable()
export class MailService {
  private readonly key: Buffer;
  private readonly transport: Transporter | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly outbox: MailOutboxRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.key = deriveOutboxKey(config.get('JWT_SECRET'));
    const url = config.get('SMTP_URL');
    const timeout = config.get('MAIL_SEND_TIMEOUT_MS');
    this.transport = url
      ? createTransport(
          { url, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout, dnsTimeout: timeout },
          { from: config.get('MAIL_FROM') },
        )
      : undefined;
  }

  get mode(): 'smtp' | 'log' {
    return this.transport ? 'smtp' : 'log';
  }

  /** Queues a mail in the caller's transaction; it is sent only if that transaction commits. */
  async queue(tx: EntityManager, kind: MailKind, mail: OutboxMail): Promise<void> {
    await this.outbox.enqueue(tx, kind, sealMail(this.key, mail));
  }

  /** Opens a sealed outbox payload (throws if it was sealed under another secret). */
  open(sealed: Buffer): OutboxMail {
    return openMail(this.key, sealed);
  }

  /** Delivers one mail now; rejects on any SMTP failure or after MAIL_SEND_TIMEOUT_MS. */
  async deliver(kind: string, mail: OutboxMail): Promise<void> {
    if (!this.transport) {
      this.logger.info({ mail: { kind, to: mail.to, subject: mail.subject, link: mail.link } }, 'mail (no SMTP_URL: logged instead of sent)');
      return;
    }
    await this.transport.sendMail({
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      signal: AbortSignal.timeout(this.config.get('MAIL_SEND_TIMEOUT_MS')),
    });
  }

  close(): void {
    this.transport?.close();
  }
}
