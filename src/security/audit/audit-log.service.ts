/**
 * The read side of the audit log: filtered, cursor-paginated listings for ADMIN
 * (GET /api/v1/audit-log) and for a user's own entries (GET /api/v1/users/me/audit-log).
 * There is deliberately no way to change or delete an entry (the table refuses it too).
 */
import { Injectable } from '@nestjs/common';
import { DomainError } from '../../infra/http/domain-error';
import { decodeCursor, isBigintText, toPage, type Page } from '../../infra/http/pagination';
import { AuditLogRepository, type AuditLogEntry, type AuditLogFilter } from './audit-log.repository';

@Injectable()
export class AuditLogService {
  constructor(private readonly entries: AuditLogRepository) {}

  async list(filter: Omit<AuditLogFilter, 'beforeId'>, limit: number, cursor?: string): Promise<Page<AuditLogEntry>> {
    if (filter.from && filter.to && filter.from > filter.to) {
      throw new DomainError('VALIDATION_FAILED', 400, 'The request is not valid', [{ field: 'from', message: 'from must not be after to' }]);
    }
    let beforeId: string | undefined;
    if (cursor) {
      [beforeId] = decodeCursor(cursor, ['string'], ([id]) => isBigintText(String(id))) as [string];
    }
    const rows = await this.entries.find({ ...filter, beforeId }, limit + 1);
    return toPage(rows, limit, (r) => [r.id], (r) => r);
  }
}
