import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID, MaxLength } from 'class-validator';
import { IsInstant } from '../../../infra/http/instant.validator';
import { CURSOR, IP, PatternField, REQUEST_ID, text, TIMESTAMP, UPPER_SNAKE, UUID } from '../../../infra/http/openapi/fields';
import { MAX_PAGE_LIMIT } from '../../../infra/http/pagination';
import { PageQueryDto } from '../../../infra/http/page-query.dto';

export class AuditLogQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ ...UUID, description: 'Only entries about this user' })
  @IsOptional()
  @IsUUID()
  userId?: string;

  @PatternField(UPPER_SNAKE, 'action must be an UPPER_SNAKE action name', {
    optional: true,
    example: 'AUTH_SIGNIN_FAILED',
    description: 'Only entries with this action',
  })
  action?: string;

  @ApiPropertyOptional({ ...TIMESTAMP, description: 'Entries at or after this time' })
  @IsOptional()
  @IsInstant()
  @MaxLength(TIMESTAMP.maxLength)
  from?: string;

  @ApiPropertyOptional({ ...TIMESTAMP, description: 'Entries before this time' })
  @IsOptional()
  @IsInstant()
  @MaxLength(TIMESTAMP.maxLength)
  to?: string;
}

export class AuditEntryDto {
  @ApiProperty({ type: String, pattern: '^[0-9]{1,20}$', maxLength: 20, example: '1042', description: 'Entry id (a decimal string)' })
  id: string;

  @ApiProperty({ ...UUID, nullable: true })
  userId: string | null;

  @ApiProperty({ ...UPPER_SNAKE, example: 'AUTH_SIGNIN' })
  action: string;

  @ApiProperty({ type: 'object', properties: {}, maxProperties: 64, description: 'Facts of the event; the keys depend on the action' })
  details: Record<string, unknown>;

  @ApiProperty({ ...IP, nullable: true })
  ip: string | null;

  @ApiProperty({ ...text(512), nullable: true, description: 'The first 512 characters of User-Agent' })
  userAgent: string | null;

  @ApiProperty({ ...REQUEST_ID, nullable: true })
  requestId: string | null;

  @ApiProperty(TIMESTAMP)
  createdAt: string;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEntryDto], maxItems: MAX_PAGE_LIMIT })
  items: AuditEntryDto[];

  @ApiProperty({ ...CURSOR, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page' })
  nextCursor: string | null;
}
