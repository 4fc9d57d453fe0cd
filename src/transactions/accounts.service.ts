/**
 * Bank accounts: opening, listing and reading them. Money movements live in LedgerService.
 */
import { Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { DataSource } from 'typeorm';
import { isStaff, type AuthUser } from '../auth/auth-user';
import { AppConfig } from '../config/config.service';
import { runInTransaction } from '../infra/database/transaction';
import { DomainError } from '../infra/http/domain-error';
import { DEFAULT_PAGE_LIMIT, toPage } from '../infra/http/pagination';
import { AuditService } from '../security/audit/audit.service';
import { SecurityEventsService } from '../security/security-events.service';
import { accountNotFound, denialFor } from './account-access';
import { decodeAccountCursor } from './cursor';
import type { AccountDto, AccountListQuery, AccountPageDto, OpenAccountDto, OpenedAccountDto } from './dto/account.dto';
import { LedgerRepository, type Account } from './ledger.repository';
import { formatMinor } from './money';

const DEFAULT_CURRENCY = 'GBP';
const NUMBER_ATTEMPTS = 5;

/** "BW" and 12 random digits: not guessable in sequence, and sorts in one fixed order for locking. */
function newAccountNumber(): string {
  return `BW${randomInt(0, 1_000_000_000_000).toString().padStart(12, '0')}`;
}

export function toAccountDto(a: Account): AccountDto {
  return {
    accountNumber: a.accountNumber,
    ownerId: a.ownerId ?? '',
    currency: a.currency,
    balance: formatMinor(a.balance),
    createdAt: a.createdAt.toISOString(),
  };
}

@Injectable()
export class AccountsService {
  constructor(
    private readonly ds: DataSource,
    private readonly repo: LedgerRepository,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly securityEvents: SecurityEventsService,
  ) {}

  /**
   * A customer opens accounts for themself; passing another user's id is 403 FORBIDDEN rather
   * than silently ignored, so a client bug cannot open an account for the wrong person.
   */
  async open(user: AuthUser, dto: OpenAccountDto): Promise<OpenedAccountDto> {
    const currency = dto.currency ?? DEFAULT_CURRENCY;
    const allowed = this.config.get('LEDGER_CURRENCIES');
    if (!allowed.includes(currency)) {
      throw new DomainError('VALIDATION_FAILED', 400, 'The request is not valid', [
        { field: 'currency', message: `currency must be one of ${allowed.join(', ')}` },
      ]);
    }
    const ownerId = dto.ownerId ?? user.id;
    if (ownerId !== user.id) {
      if (!isStaff(user)) {
        throw new DomainError('FORBIDDEN', 403, 'Customers can only open accounts for themselves');
      }
      if (!(await this.repo.userExists(this.ds.manager, ownerId))) {
        throw new DomainError('NOT_FOUND', 404, `User ${ownerId} was not found`);
      }
    }
    const account = await runInTransaction(this.ds, async (tx) => {
      await this.repo.ensureSettlementAccount(tx, currency);
      for (let attempt = 0; attempt < NUMBER_ATTEMPTS; attempt++) {
        const opened = await this.repo.insertCustomerAccount(tx, newAccountNumber(), ownerId, currency);
        if (opened) {
          await this.audit.record(tx, { userId: user.id, action: 'ACCOUNT_OPENED', details: { accountNumber: opened.accountNumber, ownerId, currency } });
          return opened;
        }
      }
      throw new Error(`no free account number after ${NUMBER_ATTEMPTS} attempts`);
    });
    return { accountNumber: account.accountNumber, ownerId, currency: account.currency, balance: formatMinor(account.balance) };
  }

  /** Your own accounts; TELLER/ADMIN may pass ?ownerId to list someone else's. */
  async list(user: AuthUser, query: AccountListQuery): Promise<AccountPageDto> {
    const ownerId = query.ownerId ?? user.id;
    if (ownerId !== user.id && !isStaff(user)) {
      throw new DomainError('FORBIDDEN', 403, 'Customers can only list their own accounts');
    }
    const after = query.cursor !== undefined ? decodeAccountCursor(query.cursor) : undefined;
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const rows = await this.repo.listAccounts(this.ds.manager, ownerId, after, limit + 1);
    return toPage(rows, limit, (a) => [a.accountNumber], toAccountDto);
  }

  async get(user: AuthUser, accountNumber: string): Promise<AccountDto> {
    return toAccountDto(await this.findActionable(user, accountNumber));
  }

  /** The account if the caller may act on it; 404 otherwise (someone else's looks missing). */
  async findActionable(user: AuthUser, accountNumber: string): Promise<Account> {
    const account = accountNumber.length <= 64 ? await this.repo.findAccount(this.ds.manager, accountNumber) : undefined;
    const denial = denialFor(user, account);
    if (denial === 'foreign') this.reportSecurityEvent(user, 'NOT_FOUND_PROBE');
    if (denial || !account) throw accountNotFound(accountNumber);
    return account;
  }

  /** Feeds abuse detection; never fails the request. (403s are counted by the HTTP filter.) */
  reportSecurityEvent(user: AuthUser, kind: 'NOT_FOUND_PROBE'): void {
    this.securityEvents.record(user.id, kind).catch(() => undefined);
  }
}
