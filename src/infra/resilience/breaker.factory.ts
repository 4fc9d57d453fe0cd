/**
 * The one way to make a circuit breaker (opossum). Each breaker is created once, at start-up,
 * by the module that owns the dependency; the factory gives it safe defaults (a volume threshold,
 * so one failure cannot open it; a timeout), lists it in the DegradationRegistry (/health/check)
 * and exports its state as `circuit_breaker_state{name}` (0 closed, 1 halfOpen, 2 open).
 * An open breaker never fails liveness or readiness: it only degrades the feature behind it.
 */
import { Inject, Injectable } from '@nestjs/common';
import CircuitBreaker from 'opossum';
import type { Counter } from 'prom-client';
import type { Logger } from 'pino';
import { LOGGER } from '../logging/logging.module';
import { MetricsService } from '../../metrics/metrics.service';
import { DegradationRegistry, type BreakerState } from './degradation.registry';

export type BreakerOptions = CircuitBreaker.Options;

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, halfOpen: 1, open: 2 };

export function breakerState(breaker: CircuitBreaker): BreakerState {
  if (breaker.opened) return 'open';
  if (breaker.halfOpen) return 'halfOpen';
  return 'closed';
}

/** True when a call was refused because the breaker is open (nothing was attempted). */
export function isBreakerOpenError(err: unknown): boolean {
  return (err as { code?: string })?.code === 'EOPENBREAKER';
}

@Injectable()
export class BreakerFactory {
  private readonly breakers = new Map<string, CircuitBreaker>();
  /** Breaker-like guards that are not opossum instances (e.g. the Redis fallback stores). */
  private readonly external = new Map<string, () => BreakerState>();
  private readonly transitions: Counter<'name' | 'state'>;

  constructor(
    private readonly metrics: MetricsService,
    private readonly registry: DegradationRegistry,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const breakers = this.breakers;
    const external = this.external;
    this.metrics.gauge(
      'circuit_breaker_state',
      'Circuit breaker state: 0 closed, 1 halfOpen, 2 open',
      ['name'],
      function () {
        for (const [name, breaker] of breakers) this.set({ name }, STATE_VALUE[breakerState(breaker)]);
        for (const [name, state] of external) this.set({ name }, STATE_VALUE[state()]);
      },
    );
    this.transitions = this.metrics.counter('circuit_breaker_transitions_total', 'Circuit breaker state changes', [
      'name',
      'state',
    ]);
  }

  /** Lists a breaker-like guard (its own state function) in the gauge and /health/check. */
  registerExternal(name: string, state: () => BreakerState): void {
    if (this.breakers.has(name) || this.external.has(name)) throw new Error(`circuit breaker "${name}" already exists`);
    this.external.set(name, state);
    this.registry.registerBreaker({ name, state });
  }

  /** Creates (once per name) a breaker around `fn`, registered with metrics and health. */
  createBreaker<TI extends unknown[], TR>(
    name: string,
    fn: (...args: TI) => Promise<TR>,
    options: BreakerOptions = {},
  ): CircuitBreaker<TI, TR> {
    if (this.breakers.has(name)) throw new Error(`circuit breaker "${name}" already exists: create breakers once`);
    const breaker = new CircuitBreaker<TI, TR>(fn, {
      name,
      timeout: 10_000,
      resetTimeout: 30_000,
      errorThresholdPercentage: 50,
      volumeThreshold: 5,
      rollingCountTimeout: 10_000,
      // Nothing reads opossum's latency percentiles or its per-bucket 'snapshot' events (state goes
      // to metrics through the events below). With them on, every call's latency is kept for the
      // whole 10 s window and re-concatenated and sorted once a second: about 1.5 % of a replica's
      // CPU under read load, and that many more live objects for the GC.
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      ...options,
    });
    this.breakers.set(name, breaker as unknown as CircuitBreaker);
    this.registry.registerBreaker({ name, state: () => breakerState(breaker as unknown as CircuitBreaker) });
    for (const state of ['open', 'halfOpen', 'close'] as const) {
      breaker.on(state as 'open', () => {
        const label = state === 'close' ? 'closed' : state;
        this.transitions.inc({ name, state: label });
        this.logger[label === 'open' ? 'warn' : 'info'](
          { breaker: name, state: label },
          'circuit breaker state changed',
        );
      });
    }
    return breaker;
  }
}
