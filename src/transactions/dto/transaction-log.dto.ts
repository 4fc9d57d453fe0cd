import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export class TransactionLogQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

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
