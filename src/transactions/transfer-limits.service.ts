/**
 * Transfer limits per privilege level (config TRANSFER_LIMITS_<LEVEL>, "perTransaction/daily"),
 * parsed once at start into minor units. The daily limit is a rolling 24 hours of the account
 * owner's outgoing transfers in the transfer's currency; ledger_transfer enforces both in SQL, under
 * the owner's lock, with the figures handed over by sqlLimits(); the refusals are worded here.
 */
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/config.service';
import { PRIVILEGE_LEVELS, type PrivilegeLevel } from '../auth/auth-user';
import { DomainError } from '../infra/http/domain-error';
import { decimalToMinor, formatMinor } from './money';

export interface TransferLimits {
  perTransaction: bigint;
  daily: bigint;
}

@Injectable()
export class TransferLimitsService {
  private readonly limits: Record<PrivilegeLevel, TransferLimits>;
  private readonly sqlLimitsJson: string;

  constructor(config: AppConfig) {
    const read = (level: PrivilegeLevel): TransferLimits => {
      const raw = config.get(`TRANSFER_LIMITS_${level}`);
      return { perTransaction: decimalToMinor(raw.perTransaction), daily: decimalToMinor(raw.daily) };
    };
    this.limits = { BASIC: read('BASIC'), PREMIUM: read('PREMIUM'), BUSINESS: read('BUSINESS') };
    this.sqlLimitsJson = JSON.stringify(
      Object.fromEntries(PRIVILEGE_LEVELS.map((level) => [level, [this.limits[level].perTransaction.toString(), this.limits[level].daily.toString()]])),
    );
  }

  /** The limits as ledger_transfer takes them: {"LEVEL": ["perTransaction", "daily"]} in minor units. */
  sqlLimits(): string {
    return this.sqlLimitsJson;
  }

  /** GET /transfer-limits/:privilegeLevel; an unknown level is a missing resource (404). */
  describe(level: string): { privilegeLevel: PrivilegeLevel; perTransaction: string; daily: string } {
    if (!(PRIVILEGE_LEVELS as readonly string[]).includes(level)) {
      throw new DomainError('NOT_FOUND', 404, `No transfer limits for this privilege level (there are ${PRIVILEGE_LEVELS.join(', ')})`);
    }
    const l = this.limits[level as PrivilegeLevel];
    return { privilegeLevel: level as PrivilegeLevel, perTransaction: formatMinor(l.perTransaction), daily: formatMinor(l.daily) };
  }

  /** 422 TRANSFER_LIMIT_EXCEEDED for one transfer over the level's per-transaction limit. */
  perTransactionExceeded(level: PrivilegeLevel): DomainError {
    const { perTransaction } = this.limits[level];
    return new DomainError('TRANSFER_LIMIT_EXCEEDED', 422, `Transfers are limited to ${formatMinor(perTransaction)} each for ${level} accounts`);
  }

  /** 422 TRANSFER_LIMIT_EXCEEDED for a transfer that would take the last 24 hours over the daily limit. */
  dailyExceeded(level: PrivilegeLevel, sentInLast24h: bigint): DomainError {
    const { daily } = this.limits[level];
    const left = daily > sentInLast24h ? daily - sentInLast24h : 0n;
    return new DomainError(
      'TRANSFER_LIMIT_EXCEEDED',
      422,
      `Transfers are limited to ${formatMinor(daily)} per 24 hours for ${level} accounts; ${formatMinor(left)} remains`,
    );
  }
}
