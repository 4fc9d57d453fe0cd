/**
 * Deposits, withdrawals and transfers (HTTP only). Each takes an optional Idempotency-Key; a
 * replayed answer carries `Idempotent-Replayed: true`.
 */
import { Body, Controller, Headers, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Verified } from '../auth/decorators/verified.decorator';
import { DomainError } from '../infra/http/domain-error';
import { RateLimit } from '../security/throttling/rate-limit.decorator';
import { budgetRefusalOf, ReplaysOverBudget } from '../security/throttling/budget-refusal';
import { AccountMovementDto, AccountMovementResultDto, TransferDto, TransferResultDto } from './dto/movement.dto';
import { checkIdempotencyKey } from './idempotency-key';
import type { Outcome } from './idempotency.service';
import { LedgerService } from './ledger.service';
import { VALIDATE } from '../infra/http/validation-pipe';

function idempotencyKey(header: string | undefined): string | undefined {
  const checked = checkIdempotencyKey(header);
  if (!checked.ok) {
    throw new DomainError('VALIDATION_FAILED', 400, 'The request is not valid', [{ field: 'Idempotency-Key', message: `Idempotency-Key ${checked.message}` }]);
  }
  return checked.key;
}

/** On a replay of an earlier answer (same Idempotency-Key, same body). */
const REPLAYED = {
  'Idempotent-Replayed': { description: '"true" when this is the stored answer of an earlier request with the same Idempotency-Key', schema: { type: 'string', enum: ['true'] } },
};

function answer<T>(reply: FastifyReply, outcome: Outcome<T>): T {
  if (outcome.replayed) void reply.header('Idempotent-Replayed', 'true');
  return outcome.body;
}

@ApiTags('transactions')
@ApiBearerAuth()
@ApiHeader({
  name: 'Idempotency-Key',
  required: false,
  schema: { type: 'string', pattern: '^[A-Za-z0-9_\\-:.]{1,255}$', maxLength: 255 },
  description:
    'Per user, 1-255 of [A-Za-z0-9_-:.], kept 24 h. Same key + same body replays the first answer. A replay counts ' +
    "toward the route's budget like any call while the budget lasts, and is still answered once it is spent; over " +
    'the budget, a key without an answer gets 429.',
})
@ApiResponse({ status: 400, description: 'VALIDATION_FAILED (amounts are decimal strings, never JSON numbers)' })
@ApiResponse({ status: 401, description: 'UNAUTHENTICATED' })
@ApiResponse({ status: 403, description: 'EMAIL_NOT_VERIFIED' })
@ApiResponse({ status: 404, description: 'NOT_FOUND: no such account, or not yours' })
@ApiResponse({ status: 409, description: 'INSUFFICIENT_FUNDS, IDEMPOTENCY_IN_PROGRESS, or CONFLICT (currencies differ)' })
@ApiResponse({ status: 422, description: 'IDEMPOTENCY_KEY_REUSED, SAME_ACCOUNT, TRANSFER_LIMIT_EXCEEDED' })
@ApiResponse({ status: 429, description: 'RATE_LIMIT_EXCEEDED' })
@Verified()
@Controller('api/v1')
export class MovementsController {
  constructor(private readonly ledger: LedgerService) {}

  @Post('deposits')
  @ApiOperation({ summary: 'Deposit money into an account (TELLER/ADMIN, or the owner)' })
  @HttpCode(201)
  @RateLimit('deposits')
  @ReplaysOverBudget()
  @ApiCreatedResponse({ type: AccountMovementResultDto, headers: REPLAYED })
  async deposit(
    @CurrentUser() user: AuthUser,
    @Body(VALIDATE) dto: AccountMovementDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AccountMovementResultDto> {
    return answer(reply, await this.ledger.deposit(user, dto, idempotencyKey(key), budgetRefusalOf(reply.request)));
  }

  @Post('withdrawals')
  @ApiOperation({ summary: 'Withdraw money from an account; never below zero' })
  @HttpCode(201)
  @RateLimit('withdrawals')
  @ReplaysOverBudget()
  @ApiCreatedResponse({ type: AccountMovementResultDto, headers: REPLAYED })
  async withdraw(
    @CurrentUser() user: AuthUser,
    @Body(VALIDATE) dto: AccountMovementDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AccountMovementResultDto> {
    return answer(reply, await this.ledger.withdraw(user, dto, idempotencyKey(key), budgetRefusalOf(reply.request)));
  }

  @Post('transfers')
  @ApiOperation({ summary: 'Transfer money between two accounts, atomically' })
  @HttpCode(201)
  @RateLimit('transfers')
  @ReplaysOverBudget()
  @ApiCreatedResponse({ type: TransferResultDto, headers: REPLAYED })
  async transfer(
    @CurrentUser() user: AuthUser,
    @Body(VALIDATE) dto: TransferDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TransferResultDto> {
    return answer(reply, await this.ledger.transfer(user, dto, idempotencyKey(key), budgetRefusalOf(reply.request)));
  }
}
