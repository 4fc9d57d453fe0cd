/**
 * Transfer limits per privilege level (config TRANSFER_LIMITS_<LEVEL>, "perTransaction/daily"),
 * parsed once at start into minor units. The daily limit is a rolling 24 hours of the account
 * owner's outgoing transfers in the transfer's currency; LedgerService enforces it under a lock.
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

  constructor(config: AppConfig) {
    const read = (level: PrivilegeLevel): TransferLimits => {
      const raw = config.get(`TRANSFER_LIMITS_${level}`);
      return { perTransaction: decimalToMinor(raw.perTransaction), daily: decimalToMinor(raw.daily) };
    };
    this.limits = { BASIC: read('BASIC'), PREMIUM: read('PREMIUM'), BUSINESS: read('BUSINESS') };
  }

  for(level: PrivilegeLevel): TransferLimits {
    return this.limits[level];
  }

  /** GET /transfer-limits/:privilegeLevel; an unknown level is a missing resource (404). */
  describe(level: string): { privilegeLevel: PrivilegeLevel; perTransaction: string; daily: string } {
    if (!(PRIVILEGE_LEVELS as readonly string[]).includes(level)) {
      throw new DomainError('NOT_FOUND', 404, `No transfer limits for privilege level ${level.slice(0, 32)}`);
    }
    const l = this.limits[level as PrivilegeLevel];
    return { privilegeLevel: level as PrivilegeLevel, perTransaction: formatMinor(l.perTransaction), daily: formatMinor(l.daily) };
  }

  /** 422 TRANSFER_LIMIT_EXCEEDED when one transfer is over the level's per-transaction limit. */
  checkPerTransaction(level: PrivilegeLevel, amount: bigint): void {
    const { perTransaction } = this.limits[level];
    if (amount > perTransaction) {
      throw new DomainError('TRANSFER_LIMIT_EXCEEDED', 422, `Transfers are limited to ${formatMinor(perTransaction)} each for ${level} accounts`);
    }
  }

  /** 422 TRANSFER_LIMIT_EXCEEDED when this transfer would take the last 24 hours over the daily limit. */
  checkDaily(level: PrivilegeLevel, amount: bigint, sentInLast24h: bigint): void {
    const { daily } = this.limits[level];
    if (sentInLast24h + amount > daily) {
      const left = daily > sentInLast24h ? daily - sentInLast24h : 0n;
      throw new DomainError(
        'TRANSFER_LIMIT_EXCEEDED',
        422,
        `Transfers are limited to ${formatMinor(daily)} per 24 hours for ${level} accounts; ${formatMinor(left)} remains`,
      );
    }
  }
}
