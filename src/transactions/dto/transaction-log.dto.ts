import { ApiProperty } from '@nestjs/swagger';
import { PageQueryDto } from '../../infra/http/page-query.dto';
import { ACCOUNT_NUMBER, CURSOR, MONEY, text, TIMESTAMP, UUID } from '../../infra/http/openapi/fields';
import { MAX_PAGE_LIMIT } from '../../infra/http/pagination';

export class TransactionLogQuery extends PageQueryDto {}

export class TransactionLogEntryDto {
  @ApiProperty(UUID) transactionId: string;
  @ApiProperty({ enum: ['DEPOSIT', 'WITHDRAWAL', 'TRANSFER'] }) type: 'DEPOSIT' | 'WITHDRAWAL' | 'TRANSFER';
  @ApiProperty({ ...MONEY, description: 'Always positive; see direction' }) amount: string;
  @ApiProperty({ enum: ['CREDIT', 'DEBIT'] }) direction: 'CREDIT' | 'DEBIT';
  @ApiProperty({ ...MONEY, example: '112.50' }) balanceAfter: string;
  @ApiProperty({ ...ACCOUNT_NUMBER, nullable: true, description: 'The other account of a transfer; null for deposits and withdrawals' })
  counterpartyAccountNumber: string | null;
  @ApiProperty(text(140)) description: string;
  @ApiProperty(TIMESTAMP) createdAt: string;
}

export class TransactionLogPageDto {
  @ApiProperty({ type: [TransactionLogEntryDto], maxItems: MAX_PAGE_LIMIT, description: 'Newest first' }) items: TransactionLogEntryDto[];
  @ApiProperty({ ...CURSOR, nullable: true }) nextCursor: string | null;
}
