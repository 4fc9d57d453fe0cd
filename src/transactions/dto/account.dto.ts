import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '../../infra/http/page-query.dto';
import { ACCOUNT_NUMBER, CURRENCY, CURSOR, MONEY, PatternField, TIMESTAMP, UUID } from '../../infra/http/openapi/fields';
import { MAX_PAGE_LIMIT } from '../../infra/http/pagination';

/** What a client may send as an account number; anything else cannot name an account (400). */
export const ACCOUNT_NUMBER_INPUT = { type: String, pattern: '^[A-Za-z0-9_-]{1,64}$', maxLength: 64, example: 'BW004211983312' } as const;
export const ACCOUNT_NUMBER_MESSAGE = '$property must be 1-64 letters, digits, "-" or "_", such as BW004211983312';

export class OpenAccountDto {
  @PatternField(CURRENCY, 'currency must be an ISO 4217 code such as GBP', {
    optional: true,
    default: 'GBP',
    description: 'ISO 4217 code; one of LEDGER_CURRENCIES',
  })
  currency?: string;

  @ApiPropertyOptional({
    ...UUID,
    description: 'Owner of the new account (TELLER/ADMIN only). A customer may omit it or pass their own id; another id is 403 FORBIDDEN.',
  })
  @IsOptional()
  @IsUUID()
  ownerId?: string;
}

export class OpenedAccountDto {
  @ApiProperty(ACCOUNT_NUMBER) accountNumber: string;
  @ApiProperty(UUID) ownerId: string;
  @ApiProperty(CURRENCY) currency: string;
  @ApiProperty({ ...MONEY, example: '0.00', description: 'Decimal string, two decimals' }) balance: string;
}

export class AccountDto extends OpenedAccountDto {
  @ApiProperty(TIMESTAMP) createdAt: string;
}

export class AccountListQuery extends PageQueryDto {
  @ApiPropertyOptional({ ...UUID, description: 'TELLER/ADMIN: list this user’s accounts (default: your own)' })
  @IsOptional()
  @IsUUID()
  ownerId?: string;
}

/** `:accountNumber` in a path. */
export class AccountNumberParam {
  @PatternField(ACCOUNT_NUMBER_INPUT, ACCOUNT_NUMBER_MESSAGE)
  accountNumber: string;
}

export class AccountPageDto {
  @ApiProperty({ type: [AccountDto], maxItems: MAX_PAGE_LIMIT }) items: AccountDto[];
  @ApiProperty({ ...CURSOR, nullable: true }) nextCursor: string | null;
}
