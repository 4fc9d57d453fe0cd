/**
 * Throttling, judged from the clients' own records. A request the server counted against a
 * budget is one it answered with anything but 429 (refused), 401 (refused before the limiter) or
 * 5xx. Each answer's admission happened somewhere inside its [sent, answered] interval, so a
 * group of answers is only proof of a breach when ALL their intervals fit inside one window:
 * no false alarm from client-side timing.
 *
 * Fail-open bound (RATE_LIMIT_FAIL_MODE=open, the default). While a replica cannot reach Redis
 * within RATE_LIMIT_REDIS_TIMEOUT_MS it counts in its own memory, and a restarted Redis starts with
 * no counts (no persistence). So within one window a subject can be admitted at most
 *     limit × (E + F)
 * where E = Redis lifetimes overlapping the window (1 + restarts inside it) and F = replica
 * processes that counted locally at some point of the window (from each replica's own log of
 * falling back and recovering, widened by every injected fault on its Redis path, ±2 s).
 * Without outages E = 1, F = 0: exactly the budget.
 */
import type { OpRecord } from './client';
import type { FaultRecord } from './faults';

export interface Budget {
  name: string;
  limit: number;
  windowMs: number;
  matches: (op: OpRecord) => boolean;
}

export interface FallbackInterval {
  process: string;
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

const counted = (status: number | undefined) => status !== undefined && status !== 429 && status !== 401 && status < 500;

/** Intervals during which some replica may have counted locally (log lines + injected faults). */
export function fallbackIntervals(logs: Array<{ process: string; text: string }>, faults: FaultRecord[], endOfRun: number): FallbackInterval[] {
  const out: FallbackInterval[] = [];
  for (const { process, text } of logs) {
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
        out.push({ process, from: openedAt - 2_000, to: t + 2_000 });
        openedAt = undefined;
      }
    }
    if (openedAt !== undefined) out.push({ process, from: openedAt - 2_000, to: endOfRun });
  }
  for (const f of faults) {
    const onRedis = f.kind === 'redis-restart' || f.kind === 'redis-failover' || f.kind === 'replica-pause' || f.target.endsWith('->redis');
    if (!onRedis) continue;
    const target = f.target.startsWith('replica-') ? f.target.split('->')[0] : '*';
    out.push({ process: `fault:${target}`, from: f.injectedAt - 2_000, to: (f.liftedAt ?? endOfRun) + 5_000 });
  }
  return out;
}

export function boundFor(limit: number, from: number, to: number, redisRestarts: number[], fallbacks: FallbackInterval[], replicaProcesses: number): number {
  const epochs = 1 + redisRestarts.filter((t) => t >= from && t <= to).length;
  const overlapping = fallbacks.filter((f) => f.from <= to && f.to >= from);
  // A fault on every replica's path ("*") may put every process into local counting.
  const local = overlapping.some((f) => f.process === 'fault:*')
    ? replicaProcesses
    : Math.min(replicaProcesses, new Set(overlapping.map((f) => f.process.replace(/^fault:/, ''))).size);
  return limit * (epochs + local);
}

export function checkThrottling(
  ops: OpRecord[],
  budgets: Budget[],
  redisRestarts: number[],
  fallbacks: FallbackInterval[],
  replicaProcesses: number,
): ThrottleFinding[] {
  const findings: ThrottleFinding[] = [];
  for (const budget of budgets) {
    const bySubject = new Map<string, Array<{ op: OpRecord; start: number; end: number }>>();
    for (const op of ops) {
      if (!op.userId || !budget.matches(op)) continue;
      for (const a of op.attempts) {
        if (!counted(a.status)) continue;
        const list = bySubject.get(op.userId) ?? [];
        list.push({ op, start: a.start, end: a.end });
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
        const inside: typeof hits = [];
        for (let j = i; j < hits.length && hits[j].start < to; j++) if (hits[j].end < to) inside.push(hits[j]);
        const bound = boundFor(budget.limit, from, to, redisRestarts, fallbacks, replicaProcesses);
        if (inside.length > bound) {
          inside.sort((x, y) => x.end - y.end);
          worst = { budget: budget.name, subject, maxInWindow: inside.length, boundInWindow: bound, firstOffending: inside[bound].op };
        } else if (inside.length > worst.maxInWindow) {
          worst = { budget: budget.name, subject, maxInWindow: inside.length, boundInWindow: bound };
        }
      }
      findings.push(worst);
    }
  }
  return findings;
}
