/**
 * Writes audit entries. Always called with the transaction's EntityManager of the change it
 * records, so the entry and the change commit (or roll back) together. Request id, IP and user
 * agent come from the request context.
 */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import { currentRequest } from '../../infra/logging/request-context';

/** Who made the request an entry records; also handed to SQL that writes its own audit entry. */
export interface AuditOrigin {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export interface AuditEntry {
  userId: string | null;
  action: string;
  details?: Record<string, unknown>;
}

@Injectable()
export class AuditService {
  constructor(private readonly ds: DataSource) {}

  /** Records an entry inside the caller's transaction. */
  async record(tx: EntityManager, entry: AuditEntry): Promise<void> {
    const origin = this.origin();
    await tx.query(
      `INSERT INTO audit_log (user_id, action, details, ip, user_agent, request_id) VALUES ($1, $2, $3, $4, $5, $6)`,
      [entry.userId, entry.action, JSON.stringify(entry.details ?? {}), origin.ip, origin.userAgent, origin.requestId],
    );
  }

  /** The current request's origin, from the request context. */
  origin(): AuditOrigin {
    const ctx = currentRequest();
    return { ip: ctx?.ip ?? null, userAgent: ctx?.userAgent?.slice(0, 512) ?? null, requestId: ctx?.requestId ?? null };
  }

  /** Records an entry on its own (for events that change nothing else, e.g. a failed sign-in). */
  async recordStandalone(entry: AuditEntry): Promise<void> {
    await this.record(this.ds.manager, entry);
  }
}
