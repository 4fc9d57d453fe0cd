/**
 * Logs expected outage answers (503s caused by a dependency fault) once per burst instead of
 * once per request: the first fault of a burst is one `warn` line; while faults continue, one
 * `warn` summary line every `summaryEveryMs` with how many answers it covers; when a whole
 * period passes without one, an `info` line closes the burst. Per dependency. The breaker state
 * and `errors_total{code}` carry the per-request detail. Pure (no Nest imports), unit-tested.
 */
import type { Dependency, DependencyFault } from './dependency-fault';

interface OutageLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

interface Burst {
  startedAt: number;
  total: number;
  sinceLastLine: number;
  reasons: Set<string>;
  timer: NodeJS.Timeout;
}

export class OutageLog {
  private readonly bursts = new Map<Dependency, Burst>();

  constructor(
    private readonly logger: OutageLogger,
    private readonly summaryEveryMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** One answer was a 503 because of `fault` (`err` is what the dependency threw). */
  record(fault: DependencyFault, err: unknown): void {
    const burst = this.bursts.get(fault.dependency);
    if (burst) {
      burst.total++;
      burst.sinceLastLine++;
      burst.reasons.add(fault.reason);
      return;
    }
    const timer = setInterval(() => this.summarise(fault.dependency), this.summaryEveryMs);
    timer.unref();
    this.bursts.set(fault.dependency, { startedAt: this.now(), total: 1, sinceLastLine: 0, reasons: new Set([fault.reason]), timer });
    this.logger.warn(
      { dependency: fault.dependency, reason: fault.reason, outcomeUnknown: fault.outcomeUnknown, count: 1, err: describe(err) },
      'dependency outage: answering 503 SERVICE_UNAVAILABLE',
    );
  }

  /** Ends every burst without a closing line (shutdown, tests). */
  close(): void {
    for (const burst of this.bursts.values()) clearInterval(burst.timer);
    this.bursts.clear();
  }

  private summarise(dependency: Dependency): void {
    const burst = this.bursts.get(dependency);
    if (!burst) return;
    const durationMs = this.now() - burst.startedAt;
    if (burst.sinceLastLine > 0) {
      this.logger.warn(
        { dependency, count: burst.sinceLastLine, total: burst.total, reasons: [...burst.reasons], durationMs },
        'dependency outage continues: 503 SERVICE_UNAVAILABLE answers',
      );
      burst.sinceLastLine = 0;
      burst.reasons.clear();
      return;
    }
    clearInterval(burst.timer);
    this.bursts.delete(dependency);
    this.logger.info({ dependency, total: burst.total, durationMs }, 'dependency outage over: no 503 answers for a whole period');
  }
}

/** The error's name, code and message, never its stack (the fault is expected, not a bug). */
function describe(err: unknown): string {
  const cause = (err as { cause?: unknown })?.cause ?? err;
  if (!(cause instanceof Error)) return String(cause);
  const code = (cause as { code?: unknown }).code;
  return `${cause.name}${typeof code === 'string' ? ` ${code}` : ''}: ${cause.message}`;
}
