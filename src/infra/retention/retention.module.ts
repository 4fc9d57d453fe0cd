import { Module } from '@nestjs/common';
import { RetentionRepository } from './retention.repository';
import { RetentionService } from './retention.service';

/** Periodic purge of expired tokens, idempotency records and old outbox mails (one replica at a time). */
@Module({ providers: [RetentionRepository, RetentionService] })
export class RetentionModule {}
