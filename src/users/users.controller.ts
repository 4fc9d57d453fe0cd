/**
 * Users (DESIGN.md §4). Any signed-in user reads and edits their own profile and reads their
 * own audit trail; ADMIN lists users and changes roles and privilege levels. Role and level
 * changes apply on every replica within a second: tokens already issued act with the new ones.
 */
import { ApiUuidParam } from '../infra/http/openapi/fields';
import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Roles } from '../auth/decorators/roles.decorator';
import { DomainError } from '../infra/http/domain-error';
import { PageQueryDto } from '../infra/http/page-query.dto';
import { DEFAULT_PAGE_LIMIT, type Page } from '../infra/http/pagination';
import { ProblemDto } from '../infra/http/problem.dto';
import type { AuditLogEntry } from '../security/audit/audit-log.repository';
import { AuditLogService } from '../security/audit/audit-log.service';
import { AuditPageDto } from '../security/audit/dto/audit-log.dto';
import { UpdatePrivilegeLevelDto, UpdateProfileDto, UpdateRolesDto, UserPageDto, UserProfileDto } from './dto/user.dto';
import type { User } from './user';
import { UsersService } from './users.service';
import { VALIDATE } from '../infra/http/validation-pipe';

const userId = new ParseUUIDPipe({
  exceptionFactory: () => new DomainError('VALIDATION_FAILED', 400, 'The request is not valid', [{ field: 'id', message: 'id must be a UUID' }]),
});

@ApiTags('users')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ProblemDto, description: 'UNAUTHENTICATED' })
@Controller('api/v1/users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly auditLog: AuditLogService,
  ) {}

  @Get('me')
  @ApiOperation({ summary: 'Your profile' })
  @ApiOkResponse({ type: UserProfileDto })
  me(@CurrentUser() user: AuthUser): Promise<User> {
    return this.users.getById(user.id);
  }

  @Patch('me')
  @ApiOperation({ summary: 'Change your display name' })
  @ApiOkResponse({ type: UserProfileDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'VALIDATION_FAILED' })
  updateMe(@CurrentUser() user: AuthUser, @Body(VALIDATE) body: UpdateProfileDto): Promise<User> {
    return this.users.updateDisplayName(user, body.displayName === '' ? null : body.displayName);
  }

  @Get('me/audit-log')
  @ApiOperation({ summary: 'Your audit trail, newest first' })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'VALIDATION_FAILED (limit or cursor)' })
  myAuditLog(@CurrentUser() user: AuthUser, @Query(VALIDATE) q: PageQueryDto): Promise<Page<AuditLogEntry>> {
    return this.auditLog.list({ userId: user.id }, q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor);
  }

  @Get()
  @Roles('ADMIN')
  @ApiOperation({ summary: 'All users, oldest first (ADMIN)' })
  @ApiOkResponse({ type: UserPageDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'VALIDATION_FAILED (limit or cursor)' })
  @ApiForbiddenResponse({ type: ProblemDto, description: 'FORBIDDEN (not an ADMIN)' })
  list(@Query(VALIDATE) q: PageQueryDto): Promise<Page<User>> {
    return this.users.list(q.limit ?? DEFAULT_PAGE_LIMIT, q.cursor);
  }

  @Get(':id')
  @ApiUuidParam()
  @Roles('ADMIN')
  @ApiOperation({ summary: 'One user (ADMIN)' })
  @ApiOkResponse({ type: UserProfileDto })
  @ApiForbiddenResponse({ type: ProblemDto, description: 'FORBIDDEN (not an ADMIN)' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'NOT_FOUND' })
  get(@Param('id', userId) id: string): Promise<User> {
    return this.users.getById(id);
  }

  @Patch(':id/roles')
  @ApiUuidParam()
  @Roles('ADMIN')
  @ApiOperation({ summary: "Replace a user's roles (ADMIN); tokens already issued act with the change within a second, on every replica" })
  @ApiOkResponse({ type: UserProfileDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'VALIDATION_FAILED' })
  @ApiForbiddenResponse({ type: ProblemDto, description: 'FORBIDDEN (not an ADMIN)' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'NOT_FOUND' })
  @ApiConflictResponse({ type: ProblemDto, description: 'CONFLICT (removing your own ADMIN role)' })
  setRoles(@CurrentUser() actor: AuthUser, @Param('id', userId) id: string, @Body(VALIDATE) body: UpdateRolesDto): Promise<User> {
    return this.users.setRoles(actor, id, body.roles);
  }

  @Patch(':id/privilege-level')
  @ApiUuidParam()
  @Roles('ADMIN')
  @ApiOperation({ summary: "Change a user's privilege level (ADMIN); tokens already issued act with the change within a second, on every replica" })
  @ApiOkResponse({ type: UserProfileDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'VALIDATION_FAILED' })
  @ApiForbiddenResponse({ type: ProblemDto, description: 'FORBIDDEN (not an ADMIN)' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'NOT_FOUND' })
  setPrivilegeLevel(@CurrentUser() actor: AuthUser, @Param('id', userId) id: string, @Body(VALIDATE) body: UpdatePrivilegeLevelDto): Promise<User> {
    return this.users.setPrivilegeLevel(actor, id, body.privilegeLevel);
  }
}
