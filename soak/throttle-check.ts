/**
 * Throttling, judged from the clients' own records. A request the server counted against a
 * budget is one it answered with anything but 429 (refused), 401 (refused before the limiter) or
 * 5xx. Each answer's admission happened somewhere inside its [sent, answered] interval, so a
 * group of answers is only proof of a breach when ALL their intervals fit inside one window:
 * no false alarm from client-side timing.
 *
 * Fail-open bound (RATE_LIMIT_FAIL_MODE=open, the default). While a replica process cannot reach
 * Redis within RATE_LIMIT_REDIS_TIMEOUT_MS it counts in its own memory, and a restarted Redis
 * starts with no counts (no persistence). So within one window a subject can be admitted at most
 *     limit × E  +  Σ over replica processes p of min(limit, hits p admitted while possibly local)
 * where E = Redis lifetimes overlapping the window (1 + restarts inside it), and "possibly local"
 * = inside an interval where p logged falling back (until it logged Redis answering again), or
 * an injected fault on p's Redis path (each widened by 2 s), or answered no sooner than the
 * limiter's deadline (RATE_LIMIT_REDIS_TIMEOUT_MS): a single limiter call that misses its deadline
 * is decided from local memory without any log line, which a loaded machine does now and then.
 * Without outages or late answers: exactly the budget.
 *
 * Sentinel/Cluster: a restart there is of a replica node (no counts lost: E counts only standalone
 * restarts), and a primary failover adds L (docs/operations.md "Throttling error bound": N + R × N
 * + L): hits the killed primary acknowledged but had not yet replicated are lost at promotion. L
 * is counted as the subject's hits in flight within FAILOVER_LAG_MS before the kill (replication
 * lag on loopback is well under a millisecond; the margin is for a loaded machine). The R × N part
 * is the fallback term above (a failover is an injected fault on every process's Redis path).
 */
import type { Attempt, OpRecord } from './client';
import type { FaultRecord } from './faults';

export interface Budget {
  name: string;
  limit: number;
  windowMs: number;
  matches: (op: OpRecord) => boolean;
}

/** A span in which `pid` (or every process of `slot`, or every process when slot is '*') may have counted locally. */
export interface FallbackInterval {
  pid?: number;
  slot?: string;
  from: number;
  to: number;
}

export interface ThrottleFinding {
  budget: string;
  subject: string;
  /** most admissions proven inside one window */
  maxInWindow: number;
  boundInWindow: number;
  firstOffending?: OpRecord;
}

/** How far before a primary's kill an acknowledged hit may still be unreplicated (see above). */
export const FAILOVER_LAG_MS = 1_000;

const counted = (status: number | undefined) =>
  status !== undefined && status !== 429 && status !== 401 && status < 500;

export function fallbackIntervals(
  logs: Array<{ pid: number; text: string }>,
  faults: FaultRecord[],
  endOfRun: number,
): FallbackInterval[] {
  const out: FallbackInterval[] = [];
  for (const { pid, text } of logs) {
    let openedAt: number | undefined;
    for (const line of text.split('\n')) {
      if (!line.includes('throttling: redis')) continue;
      let parsed: { time?: string | number; msg?: string };
      try {
        parsed = JSON.parse(line);
      } catch {
        continue;
      }
      const t = typeof parsed.time === 'number' ? parsed.time : Date.parse(String(parsed.time));
      if (parsed.msg?.includes('falling back')) openedAt ??= t;
      else if (parsed.msg?.includes('answers again') && openedAt !== undefined) {
        out.push({ pid, from: openedAt - 2_000, to: t + 2_000 });
        openedAt = undefined;
      }
    }
    if (openedAt !== undefined) out.push({ pid, from: openedAt - 2_000, to: endOfRun });
  }
  for (const f of faults) {
    const onRedis =
      f.kind === 'redis-restart' ||
      f.kind === 'redis-failover' ||
      f.kind === 'replica-pause' ||
      f.target.endsWith('->redis');
    if (!onRedis) continue;
    const slot = f.target.startsWith('replica-') ? f.target.split('->')[0] : '*';
    out.push({ slot, from: f.injectedAt - 2_000, to: (f.liftedAt ?? endOfRun) + 5_000 });
  }
  return out;
}

function possiblyLocal(a: Attempt, fallbacks: FallbackInterval[], deadlineMs: number): boolean {
  if (a.end - a.start >= deadlineMs) return true;
  return fallbacks.some(
    (f) =>
      f.from <= a.end &&
      f.to >= a.start &&
      (f.slot === '*' || (f.slot !== undefined && f.slot === a.replica) || (f.pid !== undefined && f.pid === a.pid)),
  );
}

interface Hit {
  op: OpRecord;
  start: number;
  end: number;
  /** the process that answered, when the hit may have been counted in its memory */
  localPid?: number;
}

export function checkThrottling(
  ops: OpRecord[],
  budgets: Budget[],
  redisRestarts: number[],
  fallbacks: FallbackInterval[],
  /** when each Redis primary failover's kill happened */
  failovers: number[] = [],
  /** RATE_LIMIT_REDIS_TIMEOUT_MS of the replicas */
  deadlineMs = 100,
): ThrottleFinding[] {
  const findings: ThrottleFinding[] = [];
  for (const budget of budgets) {
    const bySubject = new Map<string, Hit[]>();
    for (const op of ops) {
      if (!op.userId || !budget.matches(op)) continue;
      for (const a of op.attempts) {
        if (!counted(a.status)) continue;
        const list = bySubject.get(op.userId) ?? [];
        list.push({
          op,
          start: a.start,
          end: a.end,
          localPid: possiblyLocal(a, fallbacks, deadlineMs) ? (a.pid ?? -1) : undefined,
        });
        bySubject.set(op.userId, list);
      }
    }
    for (const [subject, hits] of bySubject) {
      hits.sort((x, y) => x.start - y.start);
      let worst: ThrottleFinding = { budget: budget.name, subject, maxInWindow: 0, boundInWindow: budget.limit };
      for (let i = 0; i < hits.length && !worst.firstOffending; i++) {
        const from = hits[i].start;
        const to = from + budget.windowMs;
        // hits surely admitted inside [from, to): sent at or after `from`, answered before `to`
        const inside: Hit[] = [];
        for (let j = i; j < hits.length && hits[j].start < to; j++) if (hits[j].end < to) inside.push(hits[j]);
        const epochs = 1 + redisRestarts.filter((t) => t >= from && t <= to).length;
        const localByPid = new Map<number, number>();
        for (const h of inside)
          if (h.localPid !== undefined) localByPid.set(h.localPid, (localByPid.get(h.localPid) ?? 0) + 1);
        let bound = budget.limit * epochs;
        for (const n of localByPid.values()) bound += Math.min(budget.limit, n);
        for (const k of failovers)
          bound += inside.filter((h) => h.start <= k && h.end >= k - FAILOVER_LAG_MS).length;
        if (inside.length > bound) {
          inside.sort((x, y) => x.end - y.end);
          worst = {
            budget: budget.name,
            subject,
            maxInWindow: inside.length,
            boundInWindow: bound,
            firstOffending: inside[bound].op,
          };
        } else if (inside.length > worst.maxInWindow) {
          worst = { budget: budget.name, subject, maxInWindow: inside.length, boundInWindow: bound };
        }
      }
      findings.push(worst);
    }
  }
  return findings;
}
