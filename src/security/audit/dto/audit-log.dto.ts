import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsUUID, Matches } from 'class-validator';
import { PageQueryDto } from '../../../infra/http/page-query.dto';

export class AuditLogQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only entries about this user' })
  @IsOptional()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional({ example: 'AUTH_SIGNIN_FAILED', description: 'Only entries with this action' })
  @IsOptional()
  @Matches(/^[A-Z][A-Z0-9_]{0,63}$/, { message: 'action must be an UPPER_SNAKE action name' })
  action?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Entries at or after this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Entries before this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class AuditEntryDto {
  @ApiProperty({ example: '1042', description: 'Entry id (a decimal string)' })
  id: string;

  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  userId: string | null;

  @ApiProperty({ example: 'AUTH_SIGNIN' })
  action: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { familyId: '…' } })
  details: Record<string, unknown>;

  @ApiProperty({ nullable: true, type: String, example: '203.0.113.7' })
  ip: string | null;

  @ApiProperty({ nullable: true, type: String })
  userAgent: string | null;

  @ApiProperty({ nullable: true, type: String })
  requestId: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEntryDto] })
  items: AuditEntryDto[];

  @ApiProperty({ nullable: true, type: String, description: 'Pass as ?cursor= for the next page; null on the last page' })
  nextCursor: string | null;
}
