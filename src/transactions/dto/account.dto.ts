import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import { PageQueryDto } from '../../infra/http/page-query.dto';

export class OpenAccountDto {
  @ApiPropertyOptional({ example: 'GBP', default: 'GBP', description: 'ISO 4217 code; one of LEDGER_CURRENCIES' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code such as GBP' })
  currency?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Owner of the new account (TELLER/ADMIN only). A customer may omit it or pass their own id; another id is 403 FORBIDDEN.',
  })
  @IsOptional()
  @IsUUID()
  ownerId?: string;
}

export class OpenedAccountDto {
  @ApiProperty({ example: 'BW004211983312' }) accountNumber: string;
  @ApiProperty({ format: 'uuid' }) ownerId: string;
  @ApiProperty({ example: 'GBP' }) currency: string;
  @ApiProperty({ example: '0.00', description: 'Decimal string, two decimals' }) balance: string;
}

export class AccountDto extends OpenedAccountDto {
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class AccountListQuery extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'TELLER/ADMIN: list this user’s accounts (default: your own)' })
  @IsOptional()
  @IsUUID()
  ownerId?: string;
}

export class AccountPageDto {
  @ApiProperty({ type: [AccountDto] }) items: AccountDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
