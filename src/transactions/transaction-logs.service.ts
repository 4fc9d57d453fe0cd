/**
 * An account's transaction log: its postings, newest first, keyset-paginated by posting id
 * (ids are drawn under the account's row lock, so they follow the order balances changed in).
 */
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuthUser } from '../auth/auth-user';
import { AccountsService, invalidCursor } from './accounts.service';
import { decodePostingCursor, encodeCursor } from './cursor';
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
    let before: bigint | undefined;
    if (query.cursor !== undefined) {
      before = decodePostingCursor(query.cursor);
      if (before === undefined) throw invalidCursor();
    }
    const limit = query.limit ?? 20;
    const lines = await this.repo.transactionLog(this.ds.manager, account.accountNumber, before, limit + 1);
    const page = lines.slice(0, limit);
    return {
      items: page.map(toEntry),
      nextCursor: lines.length > limit ? encodeCursor(page[page.length - 1].postingId) : null,
    };
  }
}
