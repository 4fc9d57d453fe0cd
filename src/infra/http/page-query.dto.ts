/** `?limit=` (1..100, default 20) and `?cursor=` of every paginated list (DESIGN.md §3). */
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { CURSOR, PatternField } from './openapi/fields';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './pagination';

/**
 * A query string's decimal digits as a number; anything else stays as sent, for IsInt to refuse.
 * Number() would read "1e1" as 10, " 5" as 5 and "0x10" as 16 (found by a black-box review).
 */
const decimalInteger = ({ value }: { value: unknown }) => (typeof value === 'string' && /^[0-9]{1,6}$/.test(value) ? Number(value) : value);

export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT })
  @IsOptional()
  @Transform(decimalInteger)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_LIMIT)
  limit?: number;

  @PatternField(CURSOR, 'cursor must be a nextCursor from a previous page', {
    optional: true,
    description: 'Opaque cursor from the previous page (nextCursor)',
  })
  cursor?: string;
}
