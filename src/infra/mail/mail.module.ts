import { Global, Module } from '@nestjs/common';
import { MailOutboxRepository } from './mail-outbox.repository';
import { MailDispatcher } from './mail.dispatcher';
import { MailService } from './mail.service';

/** MailService (queue mails in your transaction) and the outbox dispatcher, once per process. */
@Global()
@Module({
  providers: [MailOutboxRepository, MailService, MailDispatcher],
  exports: [MailService],
})
export class MailModule {}
