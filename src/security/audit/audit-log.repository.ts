/** Reads of the append-only audit log, newest first, keyset-paginated on id. */
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface AuditLogEntry {
  id: string;
  userId: string | null;
  action: string;
  details: Record<string, unknown>;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  createdAt: string;
}

export interface AuditLogFilter {
  userId?: string;
  action?: string;
  from?: Date;
  to?: Date;
  /** Only entries with a smaller id (the cursor). */
  beforeId?: string;
}

interface Row {
  id: string;
  user_id: string | null;
  action: string;
  details: Record<string, unknown>;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  created_at: Date;
}

@Injectable()
export class AuditLogRepository {
  constructor(private readonly ds: DataSource) {}

  /** Fetches up to `limit` entries matching the filter. */
  async find(filter: AuditLogFilter, limit: number): Promise<AuditLogEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (filter.userId) add('user_id = ?', filter.userId);
    if (filter.action) add('action = ?', filter.action);
    if (filter.from) add('created_at >= ?', filter.from);
    if (filter.to) add('created_at < ?', filter.to);
    if (filter.beforeId) add('id < ?::bigint', filter.beforeId);
    params.push(limit);
    const rows: Row[] = await this.ds.query(
      `SELECT id, user_id, action, details, ip, user_agent, request_id, created_at FROM audit_log
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => ({
      id: String(r.id),
      userId: r.user_id,
      action: r.action,
      details: r.details,
      ip: r.ip,
      userAgent: r.user_agent,
      requestId: r.request_id,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }
}
