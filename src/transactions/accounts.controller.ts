import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Verified } from '../auth/decorators/verified.decorator';
import { AccountsService } from './accounts.service';
import { AccountDto, AccountListQuery, AccountNumberParam, AccountPageDto, OpenAccountDto, OpenedAccountDto } from './dto/account.dto';
import { VALIDATE } from '../infra/http/validation-pipe';

@ApiTags('transactions')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'UNAUTHENTICATED' })
@ApiResponse({ status: 403, description: 'EMAIL_NOT_VERIFIED, or FORBIDDEN (a customer naming another owner)' })
@Verified()
@Controller('api/v1/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  @ApiOperation({ summary: 'Open a bank account (staff may open one for another user with ownerId)' })
  @HttpCode(201)
  @ApiCreatedResponse({ type: OpenedAccountDto })
  @ApiResponse({ status: 404, description: 'NOT_FOUND: ownerId names no user (staff only)' })
  open(@CurrentUser() user: AuthUser, @Body(VALIDATE) dto: OpenAccountDto): Promise<OpenedAccountDto> {
    return this.accounts.open(user, dto);
  }

  @Get()
  @ApiOperation({ summary: 'Your bank accounts (staff: anyone\'s, with ?ownerId)' })
  @ApiOkResponse({ type: AccountPageDto, description: 'Your accounts (staff: ?ownerId), in account-number order' })
  list(@CurrentUser() user: AuthUser, @Query(VALIDATE) query: AccountListQuery): Promise<AccountPageDto> {
    return this.accounts.list(user, query);
  }

  @Get(':accountNumber')
  @ApiOperation({ summary: 'One bank account with its balance' })
  @ApiOkResponse({ type: AccountDto })
  @ApiResponse({ status: 404, description: 'NOT_FOUND: no such account, or not yours' })
  get(@CurrentUser() user: AuthUser, @Param(VALIDATE) { accountNumber }: AccountNumberParam): Promise<AccountDto> {
    return this.accounts.get(user, accountNumber);
  }
}
