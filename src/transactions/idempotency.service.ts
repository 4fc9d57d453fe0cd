/**
 * Runs one money use case in one transaction, made idempotent by an optional Idempotency-Key.
 *
 * With a key: the key is claimed FIRST in the money transaction, the answer is stored in that
 * same transaction, and only then does it commit, so "money moved" and "answer recorded" are one
 * fact. A request that cannot claim the key reads the committed record after its own transaction
 * ended: same fingerprint → the recorded answer is replayed (`Idempotent-Replayed: true`), other
 * fingerprint → 422 IDEMPOTENCY_KEY_REUSED, no committed record yet → 409 IDEMPOTENCY_IN_PROGRESS.
 *
 * Like Stripe, deterministic business refusals (404, 409 INSUFFICIENT_FUNDS, 409 CONFLICT,
 * 422 TRANSFER_LIMIT_EXCEEDED) are recorded too: the key names one attempt, and a retry of that
 * attempt gets the same answer even if a later deposit would now let it through. Refusals that
 * depend on the request alone (400, 422 SAME_ACCOUNT) and failures (5xx, which roll back) are not
 * recorded, so a retry is evaluated afresh.
 *
 * Records past their replay window are taken over in place by claim(), and purged by retention
 * (infra/retention), one replica at a time.
 */
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AppConfig } from '../config/config.service';
import { runInTransaction, runSingleStatement } from '../infra/database/transaction';
import { DomainError, ERROR_CODES, type ErrorCode } from '../infra/http/domain-error';
import { IdempotencyRepository } from './idempotency.repository';

const RECORDED_REFUSALS = new Set<ErrorCode>(['NOT_FOUND', 'INSUFFICIENT_FUNDS', 'CONFLICT', 'TRANSFER_LIMIT_EXCEEDED']);
const REPLAYED = { 'Idempotent-Replayed': 'true' };
const inProgress = () =>
  new DomainError('IDEMPOTENCY_IN_PROGRESS', 409, 'A request with this Idempotency-Key is still being processed; retry shortly', undefined, {
    'Retry-After': '1',
  });

export interface IdempotentRequest<T> {
  userId: string;
  key: string | undefined;
  /** requestFingerprint(operation, normalised fields). */
  fingerprint: string;
  /** Rebuilds a recorded success body in the response's own field order. */
  revive: (recorded: Record<string, unknown>) => T;
  /**
   * The use case issues exactly ONE statement, atomic on its own: without a key it then runs in
   * autocommit (no BEGIN/COMMIT round trips). With a key it always runs in a transaction.
   */
  singleStatement?: boolean;
  /**
   * The 429 of a request over its budget (security/throttling/budget-refusal.ts): it may only be
   * answered from the record of its key, never run.
   */
  budgetRefusal?: DomainError;
}

export interface Outcome<T> {
  body: T;
  replayed: boolean;
}

type Attempt<T> = { kind: 'done'; body: T } | { kind: 'refused'; error: DomainError } | { kind: 'held' };

@Injectable()
export class IdempotencyService {
  constructor(
    private readonly ds: DataSource,
    private readonly repo: IdempotencyRepository,
    private readonly config: AppConfig,
  ) {}

  /**
   * Database faults leave as they are (the problem filter makes them 503 with Retry-After). A
   * commit whose outcome is unknown is safe to retry with the same key: if it committed, the key
   * is claimed with its answer and the retry replays it; if not, nothing of it remains.
   */
  async execute<T extends object>(req: IdempotentRequest<T>, work: (tx: EntityManager) => Promise<T>): Promise<Outcome<T>> {
    const { key, userId } = req;
    if (req.budgetRefusal) return this.replayOverBudget(req, req.budgetRefusal);
    if (key === undefined) {
      const body = req.singleStatement ? await runSingleStatement(this.ds, work) : await runInTransaction(this.ds, work);
      return { body, replayed: false };
    }

    const attempt = await runInTransaction<Attempt<T>>(this.ds, async (tx) => {
      if (!(await this.repo.claim(tx, userId, key, req.fingerprint, this.config.get('IDEMPOTENCY_KEY_TTL_S')))) {
        return { kind: 'held' };
      }
      try {
        const body = await work(tx);
        await this.repo.storeAnswer(tx, userId, key, 201, body as Record<string, unknown>);
        return { kind: 'done', body };
      } catch (err) {
        // Refusals are decided before the use case writes anything, so committing here records
        // the answer and nothing else.
        if (!(err instanceof DomainError) || !RECORDED_REFUSALS.has(err.code)) throw err;
        await this.repo.storeAnswer(tx, userId, key, err.status, { code: err.code, detail: err.message });
        return { kind: 'refused', error: err };
      }
    });
    if (attempt.kind === 'done') return { body: attempt.body, replayed: false };
    if (attempt.kind === 'refused') throw attempt.error;
    return this.replay(req, key);
  }

  /**
   * Over the budget: a key that holds an answer is a retry of a request that happened, and gets
   * that answer (a replay moves nothing); a new key, or one still without an answer, gets the 429.
   */
  private async replayOverBudget<T>(req: IdempotentRequest<T>, refusal: DomainError): Promise<Outcome<T>> {
    if (req.key === undefined) throw refusal;
    return this.replay(req, req.key, refusal);
  }

  /** `unanswered`: what a key without a committed answer gets (by default: still in progress). */
  private async replay<T>(req: IdempotentRequest<T>, key: string, unanswered: DomainError = inProgress()): Promise<Outcome<T>> {
    const recorded = await this.repo.findLive(this.ds.manager, req.userId, key);
    if (!recorded || recorded.statusCode === null || recorded.responseBody === null) throw unanswered;
    if (recorded.requestHash !== req.fingerprint) {
      throw new DomainError('IDEMPOTENCY_KEY_REUSED', 422, 'This Idempotency-Key was already used for a different request');
    }
    if (recorded.statusCode < 300) return { body: req.revive(recorded.responseBody), replayed: true };
    const { code, detail } = recorded.responseBody as { code?: string; detail?: string };
    const known = (ERROR_CODES as readonly string[]).includes(code ?? '') ? (code as ErrorCode) : 'CONFLICT';
    throw new DomainError(known, recorded.statusCode, detail ?? 'Request was refused', undefined, REPLAYED);
  }
}
