import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches, MaxLength } from 'class-validator';
import { IsMoneyAmount } from './money-amount.validator';

const NO_CONTROL_CHARS = /^[^\p{Cc}]*$/u;

export class AccountMovementDto {
  @ApiProperty({ example: 'BW004211983312' })
  @IsString()
  @Length(1, 64)
  accountNumber: string;

  @ApiProperty({ example: '12.50', description: 'Decimal string, at most two decimals, > 0, ≤ 1000000000.00. Never a JSON number.' })
  @IsMoneyAmount()
  amount: string;

  @ApiProperty({ example: 'Cash at branch', maxLength: 140 })
  @IsString()
  @MaxLength(140)
  @Matches(NO_CONTROL_CHARS, { message: 'description must not contain control characters' })
  description: string;
}

export class TransferDto {
  @ApiProperty({ example: 'BW004211983312' })
  @IsString()
  @Length(1, 64)
  fromAccountNumber: string;

  @ApiProperty({ example: 'BW009912003456' })
  @IsString()
  @Length(1, 64)
  toAccountNumber: string;

  @ApiProperty({ example: '12.50', description: 'Decimal string, at most two decimals, > 0, ≤ 1000000000.00. Never a JSON number.' })
  @IsMoneyAmount()
  amount: string;

  @ApiProperty({ example: 'Rent', maxLength: 140 })
  @IsString()
  @MaxLength(140)
  @Matches(NO_CONTROL_CHARS, { message: 'description must not contain control characters' })
  description: string;
}

export class AccountMovementResultDto {
  @ApiProperty({ format: 'uuid' }) transactionId: string;
  @ApiProperty({ enum: ['DEPOSIT', 'WITHDRAWAL'] }) type: 'DEPOSIT' | 'WITHDRAWAL';
  @ApiProperty({ example: '12.50' }) amount: string;
  @ApiProperty({ example: 'BW004211983312' }) accountNumber: string;
  @ApiProperty({ example: '112.50', description: 'Balance of the account after this movement' }) balanceAfter: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class TransferResultDto {
  @ApiProperty({ format: 'uuid' }) transactionId: string;
  @ApiProperty({ enum: ['TRANSFER'] }) type: 'TRANSFER';
  @ApiProperty({ example: '12.50' }) amount: string;
  @ApiProperty({ example: 'BW004211983312' }) fromAccountNumber: string;
  @ApiProperty({ example: 'BW009912003456' }) toAccountNumber: string;
  @ApiProperty({ example: '87.50', description: 'Balance of the SENDING account after this transfer' }) balanceAfter: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}
