import { ApiProperty } from '@nestjs/swagger';
import { ACCOUNT_NUMBER, AMOUNT, MONEY, PatternField, TextField, TIMESTAMP, UUID } from '../../infra/http/openapi/fields';
import { ACCOUNT_NUMBER_INPUT, ACCOUNT_NUMBER_MESSAGE } from './account.dto';
import { IsMoneyAmount } from './money-amount.validator';

export class AccountMovementDto {
  @PatternField(ACCOUNT_NUMBER_INPUT, ACCOUNT_NUMBER_MESSAGE)
  accountNumber: string;

  @ApiProperty(AMOUNT)
  @IsMoneyAmount()
  amount: string;

  @TextField(140, { minLength: 0, example: 'Cash at branch' })
  description: string;
}

export class TransferDto {
  @PatternField(ACCOUNT_NUMBER_INPUT, ACCOUNT_NUMBER_MESSAGE)
  fromAccountNumber: string;

  @PatternField(ACCOUNT_NUMBER_INPUT, ACCOUNT_NUMBER_MESSAGE, { example: 'BW009912003456' })
  toAccountNumber: string;

  @ApiProperty(AMOUNT)
  @IsMoneyAmount()
  amount: string;

  @TextField(140, { minLength: 0, example: 'Rent' })
  description: string;
}

export class AccountMovementResultDto {
  @ApiProperty(UUID) transactionId: string;
  @ApiProperty({ enum: ['DEPOSIT', 'WITHDRAWAL'] }) type: 'DEPOSIT' | 'WITHDRAWAL';
  @ApiProperty(MONEY) amount: string;
  @ApiProperty(ACCOUNT_NUMBER) accountNumber: string;
  @ApiProperty({ ...MONEY, example: '112.50', description: 'Balance of the account after this movement' }) balanceAfter: string;
  @ApiProperty(TIMESTAMP) createdAt: string;
}

export class TransferResultDto {
  @ApiProperty(UUID) transactionId: string;
  @ApiProperty({ enum: ['TRANSFER'] }) type: 'TRANSFER';
  @ApiProperty(MONEY) amount: string;
  @ApiProperty(ACCOUNT_NUMBER) fromAccountNumber: string;
  @ApiProperty({ ...ACCOUNT_NUMBER, example: 'BW009912003456' }) toAccountNumber: string;
  @ApiProperty({ ...MONEY, example: '87.50', description: 'Balance of the SENDING account after this transfer' }) balanceAfter: string;
  @ApiProperty(TIMESTAMP) createdAt: string;
}
