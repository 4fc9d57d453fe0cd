import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PRIVILEGE_LEVELS, type AuthUser } from '../auth/auth-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Verified } from '../auth/decorators/verified.decorator';
import { AccountNumberParam } from './dto/account.dto';
import { TransactionLogPageDto, TransactionLogQuery } from './dto/transaction-log.dto';
import { TransferLimitsDto } from './dto/transfer-limits.dto';
import { TransactionLogsService } from './transaction-logs.service';
import { TransferLimitsService } from './transfer-limits.service';
import { VALIDATE } from '../infra/http/validation-pipe';

/** Read-only views of the ledger: transfer limits and per-account transaction logs. */
@ApiTags('transactions')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'UNAUTHENTICATED' })
@ApiResponse({ status: 403, description: 'EMAIL_NOT_VERIFIED' })
@Verified()
@Controller('api/v1')
export class LedgerViewsController {
  constructor(
    private readonly limits: TransferLimitsService,
    private readonly logs: TransactionLogsService,
  ) {}

  @Get('transfer-limits/:privilegeLevel')
  @ApiOperation({ summary: 'Transfer limits of a privilege level: per transaction and per rolling 24 hours' })
  @ApiOkResponse({ type: TransferLimitsDto })
  @ApiResponse({ status: 404, description: 'NOT_FOUND: not one of BASIC, PREMIUM, BUSINESS' })
  @ApiParam({ name: 'privilegeLevel', enum: PRIVILEGE_LEVELS })
  transferLimits(@Param('privilegeLevel') level: string): TransferLimitsDto {
    return this.limits.describe(level);
  }

  @Get('transaction-logs/:accountNumber')
  @ApiOperation({ summary: "An account's ledger entries, newest first" })
  @ApiOkResponse({ type: TransactionLogPageDto, description: 'Newest first; follow nextCursor for older entries' })
  @ApiResponse({ status: 400, description: 'VALIDATION_FAILED: bad limit or cursor' })
  @ApiResponse({ status: 404, description: 'NOT_FOUND: no such account, or not yours' })
  transactionLog(
    @CurrentUser() user: AuthUser,
    @Param(VALIDATE) { accountNumber }: AccountNumberParam,
    @Query(VALIDATE) query: TransactionLogQuery,
  ): Promise<TransactionLogPageDto> {
    return this.logs.page(user, accountNumber, query);
  }
}
