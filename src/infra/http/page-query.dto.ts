/** `?limit=` (1..100, default 20) and `?cursor=` of every paginated list (DESIGN.md §3). */
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { CURSOR, PatternField } from './openapi/fields';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './pagination';

export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT })
  @IsOptional()
  @Type(() => Number)
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
