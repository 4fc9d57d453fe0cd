/**
 * ADMIN view of IP protection and abuse detection (DESIGN.md §7): list blocked IPs and flagged
 * users, lift a block (and the IP's counter), clear a flag (and the user's counted events).
 * Every clear is audited with the admin as actor.
 */
import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../auth/auth-user';
import { CurrentUser } from '../../auth/decorators/current-user.decorator';
import { Roles } from '../../auth/decorators/roles.decorator';
import { AuditService } from '../audit/audit.service';
import { IpProtectionService } from '../ip-protection/ip-protection.service';
import { SecurityEventsService } from '../security-events.service';
import { BlockedIpParamDto, FlaggedUserParamDto, SecurityOverviewDto } from './dto/security-overview.dto';
import { NoBody } from '../../infra/http/no-body';
import { VALIDATE } from '../../infra/http/validation-pipe';

@ApiTags('security')
@ApiBearerAuth()
@ApiForbiddenResponse({ description: 'FORBIDDEN: ADMIN only' })
@Roles('ADMIN')
@Controller('api/v1/admin/security')
export class SecurityAdminController {
  constructor(
    private readonly ipProtection: IpProtectionService,
    private readonly events: SecurityEventsService,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Blocked IPs and flagged users, on every replica' })
  @ApiOkResponse({ type: SecurityOverviewDto })
  async overview(): Promise<SecurityOverviewDto> {
    const [blocked, flagged] = await Promise.all([this.ipProtection.blockedIps(), this.events.flaggedUsers()]);
    return {
      blockedIps: blocked.map((b) => ({ ip: b.ip, expiresAt: b.expiresAt.toISOString() })),
      flaggedUsers: flagged,
    };
  }

  @Delete('blocked-ips/:ip')
  @HttpCode(204)
  @ApiOperation({ summary: 'Lift an IP block and clear its request counter' })
  @ApiNoContentResponse()
  async unblock(
    @Param(VALIDATE) params: BlockedIpParamDto,
    @CurrentUser() admin: AuthUser,
    @NoBody() _body: undefined,
  ): Promise<void> {
    await this.ipProtection.unblock(params.ip, admin.id);
  }

  @Delete('flags/:userId')
  @HttpCode(204)
  @ApiOperation({ summary: "Clear a user's abuse flag and counted security events" })
  @ApiNoContentResponse()
  async clearFlag(
    @Param(VALIDATE) params: FlaggedUserParamDto,
    @CurrentUser() admin: AuthUser,
    @NoBody() _body: undefined,
  ): Promise<void> {
    const wasFlagged = await this.events.clearFlag(params.userId);
    await this.audit.recordStandalone({ userId: admin.id, action: 'SECURITY_FLAG_CLEARED', details: { flaggedUserId: params.userId, wasFlagged } });
  }
}
