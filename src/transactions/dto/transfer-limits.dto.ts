import { ApiProperty } from '@nestjs/swagger';

export class TransferLimitsDto {
  @ApiProperty({ enum: ['BASIC', 'PREMIUM', 'BUSINESS'] }) privilegeLevel: 'BASIC' | 'PREMIUM' | 'BUSINESS';
  @ApiProperty({ example: '1000.00', description: 'Largest single transfer' }) perTransaction: string;
  @ApiProperty({ example: '5000.00', description: 'Most the account owner may send in any rolling 24 hours (per currency)' }) daily: string;
}
