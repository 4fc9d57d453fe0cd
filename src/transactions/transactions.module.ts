import { Module } from '@nestjs/common';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { IdempotencyRepository } from './idempotency.repository';
import { IdempotencyService } from './idempotency.service';
import { LedgerViewsController } from './ledger-views.controller';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';
import { MovementsController } from './movements.controller';
import { TransactionLogsService } from './transaction-logs.service';
import { TransferLimitsService } from './transfer-limits.service';

/** Bank accounts, deposits, withdrawals, transfers, limits and logs over a double-entry ledger. */
@Module({
  controllers: [AccountsController, MovementsController, LedgerViewsController],
  providers: [LedgerRepository, IdempotencyRepository, IdempotencyService, TransferLimitsService, AccountsService, LedgerService, TransactionLogsService],
  exports: [AccountsService],
})
export class TransactionsModule {}
