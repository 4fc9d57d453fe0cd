/**
 * An account's transaction log: its postings, newest first, keyset-paginated by posting id
 * (ids are drawn under the account's row lock, so they follow the order balances changed in).
 */
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuthUser } from '../auth/auth-user';
import { DEFAULT_PAGE_LIMIT, toPage } from '../infra/http/pagination';
import { AccountsService } from './accounts.service';
import { decodePostingCursor } from './cursor';
import type { TransactionLogEntryDto, TransactionLogPageDto, TransactionLogQuery } from './dto/transaction-log.dto';
import { LedgerRepository, type LogLine } from './ledger.repository';
import { formatMinor } from './money';

function toEntry(l: LogLine): TransactionLogEntryDto {
  return {
    transactionId: l.entryId,
    type: l.type,
    amount: formatMinor(l.amount < 0n ? -l.amount : l.amount),
    direction: l.amount > 0n ? 'CREDIT' : 'DEBIT',
    balanceAfter: formatMinor(l.balanceAfter),
    counterpartyAccountNumber: l.counterparty,
    description: l.description,
    createdAt: l.createdAt.toISOString(),
  };
}

@Injectable()
export class TransactionLogsService {
  constructor(
    private readonly ds: DataSource,
    private readonly repo: LedgerRepository,
    private readonly accounts: AccountsService,
  ) {}

  async page(user: AuthUser, accountNumber: string, query: TransactionLogQuery): Promise<TransactionLogPageDto> {
    const account = await this.accounts.findActionable(user, accountNumber);
    const before = query.cursor !== undefined ? decodePostingCursor(query.cursor) : undefined;
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const lines = await this.repo.transactionLog(this.ds.manager, account.accountNumber, before, limit + 1);
    return toPage(lines, limit, (l) => [l.postingId], toEntry);
  }
}
