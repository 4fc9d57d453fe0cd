/**
 * The history checker. It trusts the database's rows and the clients' own records of what they
 * sent and were answered — never the app's word about itself. Each invariant yields its
 * violations, earliest offending operation first.
 */
import { Client } from 'pg';
import { ok, type Attempt, type OpRecord } from './client';
import type { FaultRecord } from './faults';
import type { FamilyLog } from './users';

/**
 * Faults during which a revocation may legitimately take longer than 1 s to reach every replica
 * (docs/operations.md "Session revocation", fall-back rule): the revocation feed rides on Redis,
 * so while Redis restarts, or a replica's link to it is dropped or slowed, or a replica is frozen
 * with the announcement queued behind the probe, the other replicas learn of it only once the
 * feed is back (re-read on every resubscription). The window runs from the injection until 2 s
 * after the fault is lifted (the client's reconnect backoff and the re-read: measured about
 * 1–2 s in test/auth/revocation-outage.int-spec.ts), or the end of the run for one never lifted.
 */
export function revocationExcusedWindows(faults: FaultRecord[], endOfRun: number): Array<[number, number]> {
  return faults
    .filter((f) => !f.skipped && (f.target === 'redis' || f.target.endsWith('->redis') || f.kind === 'replica-pause' || f.kind === 'redis-failover'))
    .map((f): [number, number] => [f.injectedAt, (f.liftedAt ?? endOfRun) + 2_000]);
}

export interface Violation {
  invariant: string;
  seed: number;
  /** the first offending operation, as the client recorded it (or the database row) */
  operation: string;
  detail: string;
  at?: string;
}

export const MOVEMENT_KINDS = new Set(['deposit', 'withdrawal', 'transfer']);
const TYPE_OF: Record<string, string> = { deposit: 'DEPOSIT', withdrawal: 'WITHDRAWAL', transfer: 'TRANSFER' };

export function describe(op: OpRecord): string {
  const tries = op.attempts.map((a) => `${a.replica}:${a.status ?? a.error}${a.code ? `/${a.code}` : ''}`).join(',');
  return `#${op.id} ${op.kind} ${op.method} ${op.path} by ${op.userId ?? '-'} at ${new Date(op.start).toISOString()}${op.key ? ` key=${op.key}` : ''} -> ${op.status ?? 'no answer'}${op.code ? ` ${op.code}` : ''} [${tries}]`;
}

/**
 * Answers the guards give before the use case runs: they judge the attempt (its token, its IP,
 * its budget), not the movement. A budget counts every attempt, an uncertain one included, so a
 * retry after a 503 can find it spent while the first attempt's commit went through.
 */
const decidedBeforeUseCase = (a: Attempt) =>
  a.status === 401 || a.status === 429 || (a.status === 403 && a.code === 'IP_BLOCKED');

/** An attempt whose effect the client cannot know: it may have reached the use case and committed. */
const uncertain = (a: Attempt) =>
  (a.status === undefined && a.error !== 'ECONNREFUSED') ||
  (a.status !== undefined && a.status >= 500) ||
  (a.status === 409 && a.code === 'IDEMPOTENCY_IN_PROGRESS');

/**
 * Whether a movement's final answer rules out that money moved under its key (refusedMovedNothing).
 * A refusal of the use case covers the earlier attempts too: a retry of a key that committed is
 * replayed, never refused. A refusal of the guards covers only its own attempt: after an earlier
 * uncertain one, the key may have moved money (once: noKeyAppliedTwice holds it to that).
 */
export function refusalRulesOutMovement(op: OpRecord): boolean {
  if (op.status === undefined || op.status < 400 || op.status >= 500 || op.code === 'IDEMPOTENCY_IN_PROGRESS')
    return false;
  const last = op.attempts[op.attempts.length - 1];
  return !(last && decidedBeforeUseCase(last) && op.attempts.slice(0, -1).some(uncertain));
}

const cents = (amount: unknown) => Math.round(Number(amount) * 100);

type Row = Record<string, any>;

export class Checker {
  readonly violations: Violation[] = [];
  private readonly failed = new Set<string>();

  constructor(
    private readonly seed: number,
    private readonly databaseUrl: string,
  ) {}

  fail(invariant: string, operation: string, detail: string, at?: number): void {
    this.failed.add(invariant);
    this.violations.push({
      invariant,
      seed: this.seed,
      operation,
      detail,
      at: at ? new Date(at).toISOString() : undefined,
    });
  }

  holds(invariant: string): boolean {
    return !this.failed.has(invariant);
  }

  private async query(text: string, params: unknown[] = []): Promise<Row[]> {
    const client = new Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      return (await client.query(text, params)).rows;
    } finally {
      await client.end();
    }
  }

  async checkMoney(ops: OpRecord[]): Promise<void> {
    for (const r of await this.query(
      `SELECT a.account_number, a.balance::text, COALESCE(sum(p.amount), 0)::text AS posted
         FROM accounts a LEFT JOIN postings p USING (account_number)
        GROUP BY a.account_number, a.balance HAVING a.balance <> COALESCE(sum(p.amount), 0)`,
    ))
      this.fail('booksBalanced', `account ${r.account_number}`, `balance ${r.balance} but postings sum to ${r.posted}`);
    for (const r of await this.query(
      `SELECT currency, sum(balance)::text AS total FROM accounts GROUP BY currency HAVING sum(balance) <> 0`,
    ))
      this.fail('booksBalanced', `currency ${r.currency}`, `all accounts sum to ${r.total}, not 0`);
    for (const r of await this.query(
      `SELECT entry_id, sum(amount)::text AS total FROM postings GROUP BY entry_id HAVING sum(amount) <> 0`,
    ))
      this.fail('booksBalanced', `journal entry ${r.entry_id}`, `postings sum to ${r.total}`);

    // Every balance the ledger ever recorded, replayed in order: never negative, always the running sum.
    for (const r of await this.query(
      `SELECT account_number, id, balance_after::text, running::text, kind FROM (
         SELECT p.account_number, p.id, p.balance_after, a.kind,
                sum(p.amount) OVER (PARTITION BY p.account_number ORDER BY p.id) AS running
           FROM postings p JOIN accounts a USING (account_number)) h
        WHERE running <> balance_after OR (kind = 'CUSTOMER' AND running < 0) ORDER BY id LIMIT 20`,
    ))
      this.fail(
        'noNegativeBalance',
        `posting ${r.id} on ${r.account_number}`,
        `balance_after ${r.balance_after}, running sum ${r.running}`,
      );
    for (const r of await this.query(
      `SELECT account_number, balance::text FROM accounts WHERE kind = 'CUSTOMER' AND balance < 0`,
    ))
      this.fail('noNegativeBalance', `account ${r.account_number}`, `balance ${r.balance}`);

    const entries = await this.query(
      `SELECT e.id::text, e.type, e.amount::text, e.created_by::text, e.idempotency_key,
              array_agg(p.account_number || ':' || p.amount ORDER BY p.amount) AS postings
         FROM journal_entries e JOIN postings p ON p.entry_id = e.id GROUP BY e.id`,
    );
    const byId = new Map(entries.map((e) => [e.id as string, e]));
    const byKey = new Map<string, Row[]>();
    for (const e of entries) {
      const k = `${e.created_by}/${e.idempotency_key}`;
      byKey.set(k, [...(byKey.get(k) ?? []), e]);
    }
    const movements = ops.filter((op) => MOVEMENT_KINDS.has(op.kind)).sort((a, b) => a.end - b.end);
    const clientKeys = new Set(movements.map((op) => `${op.userId}/${op.key}`));

    for (const [k, list] of byKey) {
      if (list.length > 1)
        this.fail(
          'noKeyAppliedTwice',
          `key ${k}`,
          `${list.length} journal entries: ${list.map((e) => e.id).join(', ')}`,
        );
      if (!clientKeys.has(k))
        this.fail(
          'noKeyAppliedTwice',
          `journal entry ${list[0].id}`,
          `money moved under key ${k}, which no client sent`,
        );
    }
    for (const op of movements) {
      const applied = byKey.get(`${op.userId}/${op.key}`) ?? [];
      if (ok(op)) {
        const entry = byId.get(String(op.body?.transactionId));
        const req = op.request ?? {};
        if (!entry)
          this.fail(
            'everyAckedMovementOnce',
            describe(op),
            `answered ${op.status} with transaction ${op.body?.transactionId}, not in the ledger`,
            op.end,
          );
        else if (applied.length !== 1 || applied[0].id !== entry.id)
          this.fail('everyAckedMovementOnce', describe(op), `${applied.length} entries under its key`, op.end);
        else if (
          entry.type !== TYPE_OF[op.kind] ||
          Number(entry.amount) !== cents(req.amount) ||
          entry.postings.length !== 2
        )
          this.fail(
            'everyAckedMovementOnce',
            describe(op),
            `ledger has ${entry.type} ${entry.amount} with postings ${entry.postings.join(' ')}`,
            op.end,
          );
        else {
          const mine = op.kind === 'transfer' ? [req.fromAccountNumber, req.toAccountNumber] : [req.accountNumber];
          for (const account of mine)
            if (!entry.postings.some((p: string) => p.startsWith(`${account}:`)))
              this.fail('everyAckedMovementOnce', describe(op), `entry ${entry.id} does not touch ${account}`, op.end);
        }
      } else if (refusalRulesOutMovement(op) && applied.length > 0) {
        this.fail(
          'refusedMovedNothing',
          describe(op),
          `refused with ${op.status} ${op.code} but entry ${applied[0].id} moved money`,
          op.end,
        );
      }
    }
  }

  /** Auctions from the database, bids from the clients' acknowledgements. */
  async checkAuctions(
    ops: OpRecord[],
    streams: Array<{ userId: string; auctionId: string; seqs: number[] }>,
  ): Promise<{ auctions: number; closed: number; bids: number }> {
    const auctions = await this.query(
      `SELECT a.id::text, a.league_id::text, a.status, a.seq::int, a.winner_id::text, a.current_amount::text, (a.ends_at < now()) AS due,
              (SELECT count(*) FROM auction_events e WHERE e.auction_id = a.id AND e.type = 'closed')::int AS closes,
              (SELECT count(*) FROM auction_events e WHERE e.auction_id = a.id)::int AS events,
              (SELECT max(seq) FROM auction_events e WHERE e.auction_id = a.id)::int AS max_seq,
              (SELECT seq FROM auction_events e WHERE e.auction_id = a.id AND e.type = 'closed')::int AS close_seq,
              (SELECT b.bidder_id::text FROM bids b WHERE b.auction_id = a.id ORDER BY b.amount DESC, b.seq LIMIT 1) AS top_bidder,
              (SELECT max(b.amount) FROM bids b WHERE b.auction_id = a.id)::text AS top_amount
         FROM auctions a WHERE a.status <> 'SCHEDULED'`,
    );
    const byId = new Map(auctions.map((a) => [a.id as string, a]));
    for (const a of auctions) {
      const events = a.events as number;
      if (a.due && a.status !== 'CLOSED')
        this.fail('auctionsClosedOnce', `auction ${a.id}`, `endsAt passed but status is ${a.status}`);
      if ((a.status === 'CLOSED' ? 1 : 0) !== a.closes)
        this.fail('auctionsClosedOnce', `auction ${a.id}`, `status ${a.status} with ${a.closes} closed events`);
      if (events !== (a.max_seq ?? 0) || events !== a.seq || (a.status === 'CLOSED' && a.close_seq !== a.seq))
        this.fail(
          'auctionsClosedOnce',
          `auction ${a.id}`,
          `seq ${a.seq}, ${events} events, last ${a.max_seq}, closed at ${a.close_seq}`,
        );
      if (
        a.status === 'CLOSED' &&
        (a.winner_id !== a.top_bidder || (a.top_amount ?? null) !== (a.top_bidder ? a.current_amount : null))
      )
        this.fail(
          'winnersCorrect',
          `auction ${a.id}`,
          `winner ${a.winner_id} at ${a.current_amount}, highest bid ${a.top_amount} by ${a.top_bidder}`,
        );
    }
    // Each winner's budget dropped once per won auction, by the winning amount (nothing else moves it).
    for (const r of await this.query(
      `SELECT p.league_id::text, p.user_id::text, p.remaining_budget::text, l.budget::text,
              COALESCE((SELECT sum(a.current_amount) FROM auctions a WHERE a.league_id = p.league_id AND a.status = 'CLOSED' AND a.winner_id = p.user_id), 0)::text AS won
         FROM league_participants p JOIN leagues l ON l.id = p.league_id
        WHERE p.remaining_budget <> l.budget - COALESCE((SELECT sum(a.current_amount) FROM auctions a WHERE a.league_id = p.league_id AND a.status = 'CLOSED' AND a.winner_id = p.user_id), 0)`,
    ))
      this.fail(
        'winnersCorrect',
        `participant ${r.user_id} of league ${r.league_id}`,
        `remaining ${r.remaining_budget}, budget ${r.budget}, won ${r.won}`,
      );
    // Every bid a client saw accepted is stored as it was acknowledged.
    const bids = new Map(
      (await this.query(`SELECT id::text, auction_id::text, bidder_id::text, amount::text FROM bids`)).map((b) => [
        b.id as string,
        b,
      ]),
    );
    const acked = ops.filter((op) => op.kind === 'bid' && ok(op)).sort((a, b) => a.end - b.end);
    for (const op of acked) {
      const stored = bids.get(String(op.body?.bidId));
      if (!stored || stored.bidder_id !== op.userId || Number(stored.amount) !== cents(op.request?.amount))
        this.fail(
          'winnersCorrect',
          describe(op),
          `acknowledged bid ${op.body?.bidId} is ${stored ? `stored as ${stored.amount} by ${stored.bidder_id}` : 'not stored'}`,
          op.end,
        );
    }
    for (const s of streams) {
      const a = byId.get(s.auctionId);
      const expectedLast = a?.status === 'CLOSED' ? (a.seq as number) : undefined;
      const bad = s.seqs.findIndex((seq, i) => seq !== i + 1);
      if (bad >= 0)
        this.fail(
          'socketStreamsGapFree',
          `socket of ${s.userId} on auction ${s.auctionId}`,
          `expected seq ${bad + 1} at position ${bad}, got ${s.seqs[bad]} (stream ${s.seqs.slice(Math.max(0, bad - 3), bad + 4).join(',')})`,
        );
      else if (expectedLast !== undefined && s.seqs.length !== expectedLast)
        this.fail(
          'socketStreamsGapFree',
          `socket of ${s.userId} on auction ${s.auctionId}`,
          `saw seq 1..${s.seqs.length}, the auction closed at seq ${expectedLast}`,
        );
    }
    return { auctions: auctions.length, closed: auctions.filter((a) => a.status === 'CLOSED').length, bids: bids.size };
  }

  /**
   * A refresh token stops working once spent (rotated), signed out, or its family revoked for
   * reuse; an access token stops working within 1 s of its session's sign-out.
   */
  checkAuth(
    ops: OpRecord[],
    families: FamilyLog,
    accessRevocation: boolean,
    excused: Array<[number, number]> = [],
  ): { spentReplays: number; revokedProbes: number; revokedProbeAccepted: number; revokedProbeExcused: number } {
    const refreshes = ops
      .filter((op) => op.kind === 'refresh' || op.kind === 'signout')
      .sort((a, b) => a.start - b.start);
    const deadAt = new Map<string, number>(); // token → when the client knew it dead
    const familyDeadAt = new Map<string, number>();
    let spentReplays = 0;
    for (const op of refreshes) {
      const token = String(op.request?.refreshToken);
      const family = families.get(token) ?? token;
      const dead = Math.min(deadAt.get(token) ?? Infinity, familyDeadAt.get(family) ?? Infinity);
      if (op.kind === 'refresh' && dead < op.start) {
        spentReplays++;
        if (ok(op))
          this.fail(
            'spentRefreshNeverWorked',
            describe(op),
            `a refresh token dead since ${new Date(dead).toISOString()} was accepted`,
            op.end,
          );
      }
      if (op.kind === 'refresh' && ok(op)) deadAt.set(token, Math.min(deadAt.get(token) ?? Infinity, op.end));
      if (op.kind === 'signout' && op.status === 204)
        familyDeadAt.set(family, Math.min(familyDeadAt.get(family) ?? Infinity, op.end));
      if (op.kind === 'refresh' && op.code === 'TOKEN_REUSED')
        familyDeadAt.set(family, Math.min(familyDeadAt.get(family) ?? Infinity, op.end));
    }
    const probes = ops.filter((op) => op.kind === 'probe');
    const accepted = probes.filter((op) => ok(op));
    // The probe follows its sign-out by 1.5 s: a window touching [probe - 2 s, probe end] excuses it.
    const isExcused = (op: OpRecord) => excused.some(([from, to]) => op.start - 2_000 <= to && op.end >= from);
    const excusedOps = accepted.filter(isExcused);
    if (accessRevocation)
      for (const op of accepted.filter((o) => !isExcused(o)))
        this.fail(
          'revokedSessionRejected',
          describe(op),
          'the access token of a signed-out session worked 1.5 s after sign-out',
        );
    return { spentReplays, revokedProbes: probes.length, revokedProbeAccepted: accepted.length, revokedProbeExcused: excusedOps.length };
  }
}
