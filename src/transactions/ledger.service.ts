/**
 * Deposits, withdrawals and transfers. Each is ONE transaction on ONE connection: lock the
 * accounts (one statement, fixed order), check every rule, then write one balanced journal
 * entry and the audit entry. All checks come before the first write, so a refusal leaves
 * nothing behind but (with an Idempotency-Key) its recorded answer. Transfers, the hot path, do
 * all of that in ONE statement (the ledger_transfer function), so their row locks are never held
 * across client round trips; without an Idempotency-Key that statement is the whole transaction.
 *
 * Customer accounts are balanced against the currency's SETTLEMENT account: a deposit credits
 * the customer and debits settlement, a withdrawal the reverse, so customers + settlement always
 * sum to zero and customer balances sum to deposits minus withdrawals.
 */
import { Injectable } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import type { EntityManager } from 'typeorm';
import { isStaff, type AuthUser, type PrivilegeLevel } from '../auth/auth-user';
import { DomainError } from '../infra/http/domain-error';
import { MetricsService } from '../metrics/metrics.service';
import { AuditService } from '../security/audit/audit.service';
import { accountNotFound, denialFor } from './account-access';
import { AccountsService } from './accounts.service';
import type { AccountMovementDto, AccountMovementResultDto, TransferDto, TransferResultDto } from './dto/movement.dto';
import { requestFingerprint } from './idempotency-key';
import { IdempotencyService, type Outcome } from './idempotency.service';
import { LedgerRepository, settlementAccountNumber, type Account, type MovementType } from './ledger.repository';
import { amountToMinor, formatMinor, minorToUnitsApprox } from './money';
import { TransferLimitsService } from './transfer-limits.service';

const AUDIT_ACTION: Record<MovementType, string> = {
  DEPOSIT: 'MONEY_DEPOSIT',
  WITHDRAWAL: 'MONEY_WITHDRAWAL',
  TRANSFER: 'MONEY_TRANSFER',
};

/** Recorded answers come back from jsonb; rebuild them in the response's own field order. */
function reviveAccountMovement(r: Record<string, unknown>): AccountMovementResultDto {
  return {
    transactionId: String(r.transactionId),
    type: r.type as 'DEPOSIT' | 'WITHDRAWAL',
    amount: String(r.amount),
    accountNumber: String(r.accountNumber),
    balanceAfter: String(r.balanceAfter),
    createdAt: String(r.createdAt),
  };
}

function reviveTransfer(r: Record<string, unknown>): TransferResultDto {
  return {
    transactionId: String(r.transactionId),
    type: 'TRANSFER',
    amount: String(r.amount),
    fromAccountNumber: String(r.fromAccountNumber),
    toAccountNumber: String(r.toAccountNumber),
    balanceAfter: String(r.balanceAfter),
    createdAt: String(r.createdAt),
  };
}

@Injectable()
export class LedgerService {
  private readonly transactionsTotal: Counter<'type' | 'status'>;
  private readonly transactionAmount: Histogram<'type'>;

  constructor(
    private readonly repo: LedgerRepository,
    private readonly idempotency: IdempotencyService,
    private readonly limits: TransferLimitsService,
    private readonly accounts: AccountsService,
    private readonly audit: AuditService,
    metrics: MetricsService,
  ) {
    this.transactionsTotal = metrics.counter('transactions_total', 'Money movements by type and outcome (replays not counted)', ['type', 'status']);
    this.transactionAmount = metrics.histogram(
      'transaction_amount',
      'Amounts of successful money movements, in currency units',
      ['type'],
      [1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 50_000, 100_000, 1_000_000],
    );
  }

  /** `budgetRefusal`: the request is over its budget and may only be replayed (budget-refusal.ts). */
  deposit(user: AuthUser, dto: AccountMovementDto, key: string | undefined, budgetRefusal?: DomainError): Promise<Outcome<AccountMovementResultDto>> {
    return this.accountMovement('DEPOSIT', user, dto, key, budgetRefusal);
  }

  withdraw(user: AuthUser, dto: AccountMovementDto, key: string | undefined, budgetRefusal?: DomainError): Promise<Outcome<AccountMovementResultDto>> {
    return this.accountMovement('WITHDRAWAL', user, dto, key, budgetRefusal);
  }

  async transfer(user: AuthUser, dto: TransferDto, key: string | undefined, budgetRefusal?: DomainError): Promise<Outcome<TransferResultDto>> {
    const amount = amountToMinor(dto.amount);
    const { fromAccountNumber: from, toAccountNumber: to, description } = dto;
    return this.measured('TRANSFER', amount, async () => {
      // Decided by the request alone, so it is not recorded under the key.
      if (from === to) throw new DomainError('SAME_ACCOUNT', 422, 'Cannot transfer from an account to itself');
      return this.idempotency.execute(
        {
          userId: user.id,
          key,
          fingerprint: requestFingerprint('TRANSFER', [from, to, amount, description]),
          revive: reviveTransfer,
          singleStatement: true,
          budgetRefusal,
        },
        (em) => this.transferIn(em, user, { from, to, amount, description, key }),
      );
    });
  }

  private accountMovement(
    type: 'DEPOSIT' | 'WITHDRAWAL',
    user: AuthUser,
    dto: AccountMovementDto,
    key: string | undefined,
    budgetRefusal: DomainError | undefined,
  ): Promise<Outcome<AccountMovementResultDto>> {
    const amount = amountToMinor(dto.amount);
    const { accountNumber, description } = dto;
    return this.measured(type, amount, () =>
      this.idempotency.execute(
        { userId: user.id, key, fingerprint: requestFingerprint(type, [accountNumber, amount, description]), revive: reviveAccountMovement, budgetRefusal },
        async (tx) => {
          const locked = await this.repo.lockAccountsInOrder(tx, [accountNumber]);
          const account = this.actionable(user, locked.get(accountNumber), accountNumber);
          if (type === 'WITHDRAWAL' && account.balance < amount) throw insufficientFunds(accountNumber);
          const delta = type === 'DEPOSIT' ? amount : -amount;
          const posted = await this.repo.postEntry(tx, {
            type,
            currency: account.currency,
            amount,
            description,
            createdBy: user.id,
            idempotencyKey: key,
            postings: [
              { accountNumber, delta },
              { accountNumber: settlementAccountNumber(account.currency), delta: -delta },
            ],
          });
          const result: AccountMovementResultDto = {
            transactionId: posted.entryId,
            type,
            amount: formatMinor(amount),
            accountNumber,
            balanceAfter: formatMinor(posted.balanceAfter.get(accountNumber) ?? 0n),
            createdAt: posted.createdAt.toISOString(),
          };
          await this.audit.record(tx, {
            userId: user.id,
            action: AUDIT_ACTION[type],
            details: { transactionId: result.transactionId, accountNumber, amount: result.amount, currency: account.currency, ownerId: account.ownerId },
          });
          return result;
        },
      ),
    );
  }

  /**
   * One call of ledger_transfer (see LedgerRepository.transfer): locks, checks and writes happen
   * inside PostgreSQL in one round trip; here its refusals become problem+json answers.
   */
  private async transferIn(
    em: EntityManager,
    user: AuthUser,
    t: { from: string; to: string; amount: bigint; description: string; key: string | undefined },
  ): Promise<TransferResultDto> {
    const amount = formatMinor(t.amount);
    const r = await this.repo.transfer(em, {
      from: t.from,
      to: t.to,
      amount: t.amount,
      description: t.description,
      actorId: user.id,
      actorIsStaff: isStaff(user),
      idempotencyKey: t.key,
      limitsJson: this.limits.sqlLimits(),
      audit: { amount, ...this.audit.origin() },
    });
    switch (r.outcome) {
      case 'OK':
        return {
          transactionId: r.entryId as string,
          type: 'TRANSFER',
          amount,
          fromAccountNumber: t.from,
          toAccountNumber: t.to,
          balanceAfter: formatMinor(r.balanceAfter as bigint),
          createdAt: (r.createdAt as Date).toISOString(),
        };
      case 'FROM_FOREIGN':
        this.accounts.reportSecurityEvent(user, 'NOT_FOUND_PROBE');
        throw accountNotFound(t.from);
      case 'FROM_NOT_FOUND':
        throw accountNotFound(t.from);
      case 'TO_NOT_FOUND':
        throw accountNotFound(t.to);
      case 'CURRENCY_MISMATCH':
        throw new DomainError('CONFLICT', 409, `Cannot transfer between a ${r.fromCurrency} and a ${r.toCurrency} account`);
      case 'PER_TRANSACTION_LIMIT':
        throw this.limits.perTransactionExceeded(r.privilegeLevel as PrivilegeLevel);
      case 'DAILY_LIMIT':
        throw this.limits.dailyExceeded(r.privilegeLevel as PrivilegeLevel, r.sentInLast24h as bigint);
      case 'INSUFFICIENT_FUNDS':
        throw insufficientFunds(t.from);
      default:
        throw new Error(`ledger_transfer answered an unknown outcome ${String(r.outcome)}`);
    }
  }

  /** The locked account if the caller may move its money; 404 otherwise. */
  private actionable(user: AuthUser, account: Account | undefined, accountNumber: string): Account {
    const denial = denialFor(user, account);
    if (denial === 'foreign') this.accounts.reportSecurityEvent(user, 'NOT_FOUND_PROBE');
    if (denial || !account) throw accountNotFound(accountNumber);
    return account;
  }

  /** transactions_total{type,status} and transaction_amount{type}; replays are not new movements. */
  private async measured<T>(type: MovementType, amount: bigint, run: () => Promise<Outcome<T>>): Promise<Outcome<T>> {
    const label = type.toLowerCase();
    try {
      const outcome = await run();
      if (!outcome.replayed) {
        this.transactionsTotal.inc({ type: label, status: 'success' });
        this.transactionAmount.observe({ type: label }, minorToUnitsApprox(amount));
      }
      return outcome;
    } catch (err) {
      // Not attempted: a replay, a key in use, or a request over its budget (budget-refusal.ts).
      const replayedOrBusy =
        err instanceof DomainError &&
        (err.code === 'IDEMPOTENCY_IN_PROGRESS' ||
          err.code === 'IDEMPOTENCY_KEY_REUSED' ||
          err.code === 'RATE_LIMIT_EXCEEDED' ||
          err.headers?.['Idempotent-Replayed'] !== undefined);
      if (!replayedOrBusy) this.transactionsTotal.inc({ type: label, status: 'failed' });
      throw err;
    }
  }
}

function insufficientFunds(accountNumber: string): DomainError {
  return new DomainError('INSUFFICIENT_FUNDS', 409, `Account ${accountNumber} has insufficient funds`);
}
