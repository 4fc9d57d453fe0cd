import { ApiProperty } from '@nestjs/swagger';
import { PageQueryDto } from '../../infra/http/page-query.dto';

export class TransactionLogQuery extends PageQueryDto {}

export class TransactionLogEntryDto {
  @ApiProperty({ format: 'uuid' }) transactionId: string;
  @ApiProperty({ enum: ['DEPOSIT', 'WITHDRAWAL', 'TRANSFER'] }) type: 'DEPOSIT' | 'WITHDRAWAL' | 'TRANSFER';
  @ApiProperty({ example: '12.50', description: 'Always positive; see direction' }) amount: string;
  @ApiProperty({ enum: ['CREDIT', 'DEBIT'] }) direction: 'CREDIT' | 'DEBIT';
  @ApiProperty({ example: '112.50' }) balanceAfter: string;
  @ApiProperty({ type: String, nullable: true, description: 'The other account of a transfer; null for deposits and withdrawals' })
  counterpartyAccountNumber: string | null;
  @ApiProperty() description: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class TransactionLogPageDto {
  @ApiProperty({ type: [TransactionLogEntryDto], description: 'Newest first' }) items: TransactionLogEntryDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
