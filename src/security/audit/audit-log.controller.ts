import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse, ApiBadRequestResponse } from '@nestjs/swagger';
import { Roles } from '../../auth/decorators/roles.decorator';
import { DEFAULT_PAGE_LIMIT, type Page } from '../../infra/http/pagination';
import { ProblemDto } from '../../infra/http/problem.dto';
import type { AuditLogEntry } from './audit-log.repository';
import { AuditLogService } from './audit-log.service';
import { AuditLogQueryDto, AuditPageDto } from './dto/audit-log.dto';
import { VALIDATE } from '../../infra/http/validation-pipe';
import { parseInstant } from '../../infra/http/instant.validator';

@ApiTags('audit')
@ApiBearerAuth()
@Roles('ADMIN')
@Controller('api/v1/audit-log')
export class AuditLogController {
  constructor(private readonly auditLog: AuditLogService) {}

  @Get()
  @ApiOperation({ summary: 'Audit entries, newest first (ADMIN); filter by user, action and time' })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'VALIDATION_FAILED' })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'UNAUTHENTICATED' })
  @ApiForbiddenResponse({ type: ProblemDto, description: 'FORBIDDEN (not an ADMIN)' })
  list(@Query(VALIDATE) q: AuditLogQueryDto): Promise<Page<AuditLogEntry>> {
    return this.auditLog.list(
      { userId: q.userId, action: q.action, from: parseInstant(q.from), to: parseInstant(q.to) },
      q.limit ?? DEFAULT_PAGE_LIMIT,
      q.cursor,
    );
  }
}
