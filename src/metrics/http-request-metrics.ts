/**
 * The two per-request HTTP metrics (`http_requests_total`, `http_request_duration_seconds`),
 * recorded into plain per-series buffers and handed to prom-client in batches: on every read of
 * either metric (a scrape: prom-client calls each metric's `collect` first, so a scrape always
 * sees every answered request) and whenever a series has FLUSH_AT requests pending.
 * prom-client validates and hashes the labels on every `inc()`/`observe()`, a bound child's
 * included; on a probe that was about 8 % of its CPU, batched it is mostly gone
 * (docs/operations.md "Performance notes"). Memory stays bounded: FLUSH_AT numbers per series.
 * Pure (prom-client only).
 */
import type { Counter, Histogram } from 'prom-client';

/** Requests a series holds before it hands them to prom-client unasked. */
export const FLUSH_AT = 256;

type Labels = 'method' | 'route' | 'status';

/** One (method, route): its durations and its answers by status since the last flush. */
export class HttpSeries {
  private readonly durations: number[] = [];
  private readonly byStatus = new Map<number, { count: number; counter: ReturnType<Counter<Labels>['labels']> }>();

  constructor(
    private readonly owner: HttpRequestMetrics,
    private readonly method: string,
    private readonly route: string,
    private readonly timer: ReturnType<Histogram<'method' | 'route'>['labels']>,
  ) {}

  /** One answered request: its status and duration in seconds. */
  record(status: number, seconds: number): void {
    let entry = this.byStatus.get(status);
    if (!entry) {
      entry = { count: 0, counter: this.owner.counter.labels(this.method, this.route, String(status)) };
      this.byStatus.set(status, entry);
    }
    entry.count++;
    this.durations.push(seconds);
    if (this.durations.length === 1) this.owner.markPending(this);
    if (this.durations.length >= FLUSH_AT) this.flush();
  }

  get pending(): number {
    return this.durations.length;
  }

  flush(): void {
    for (const seconds of this.durations) this.timer.observe(seconds);
    this.durations.length = 0;
    for (const entry of this.byStatus.values()) {
      if (entry.count === 0) continue;
      entry.counter.inc(entry.count);
      entry.count = 0;
    }
  }
}

export class HttpRequestMetrics {
  private readonly series = new Map<string, Map<string, HttpSeries>>();
  private readonly withPending = new Set<HttpSeries>();

  constructor(
    readonly counter: Counter<Labels>,
    readonly histogram: Histogram<'method' | 'route'>,
  ) {}

  /** The series of one (method, route): look it up once per request, then `record` on it. */
  of(method: string, route: string): HttpSeries {
    let byMethod = this.series.get(route);
    if (!byMethod) this.series.set(route, (byMethod = new Map()));
    let s = byMethod.get(method);
    if (!s) byMethod.set(method, (s = new HttpSeries(this, method, route, this.histogram.labels(method, route))));
    return s;
  }

  /** Hands everything pending to prom-client (the metrics' `collect`, so every read sees it). */
  flush(): void {
    for (const s of this.withPending) s.flush();
    this.withPending.clear();
  }

  /** @internal a series calls this when its first request since a flush is recorded. */
  markPending(s: HttpSeries): void {
    this.withPending.add(s);
  }
}
