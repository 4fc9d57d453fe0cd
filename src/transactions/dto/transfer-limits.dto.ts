import { ApiProperty } from '@nestjs/swagger';
import { MONEY } from '../../infra/http/openapi/fields';

export class TransferLimitsDto {
  @ApiProperty({ enum: ['BASIC', 'PREMIUM', 'BUSINESS'] }) privilegeLevel: 'BASIC' | 'PREMIUM' | 'BUSINESS';
  @ApiProperty({ ...MONEY, example: '1000.00', description: 'Largest single transfer' }) perTransaction: string;
  @ApiProperty({ ...MONEY, example: '5000.00', description: 'Most the account owner may send in any rolling 24 hours (per currency)' }) daily: string;
}
