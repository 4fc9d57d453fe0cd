/**
 * One prom-client Registry per app instance (so two apps in one process never collide).
 * Modules register their metrics here once, at construction, through `counter`/`gauge`/`histogram`.
 */
import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { HttpRequestMetrics } from './http-request-metrics';

@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpRequestsTotal: Counter<'method' | 'route' | 'status'>;
  readonly httpRequestDuration: Histogram<'method' | 'route'>;
  /** How the HTTP hooks record a request into the two metrics above (batched, see its file). */
  readonly http: HttpRequestMetrics;
  readonly errorsTotal: Counter<'code'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // These default gauges break Prometheus naming rules (`_total` is for counters) and fail
    // `promtool check metrics`; the per-type gauges without the suffix carry the same data.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(name);
    }
    // Both hand over their pending requests whenever either is read (a scrape reads both).
    const flushHttp = () => this.http.flush();
    this.httpRequestsTotal = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests served',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
      collect: flushHttp,
    });
    this.httpRequestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration, by route template',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
      collect: flushHttp,
    });
    this.http = new HttpRequestMetrics(this.httpRequestsTotal, this.httpRequestDuration);
    this.errorsTotal = this.counter('errors_total', 'Error answers by stable error code: HTTP problem documents, refused Socket.IO handshakes and socket acks with ok:false', ['code']);
  }

  counter<L extends string>(name: string, help: string, labelNames: L[] = []): Counter<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Counter<L>;
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: L[] = [],
    collect?: (this: Gauge<L>) => void | Promise<void>,
  ): Gauge<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Gauge<L>;
    return new Gauge({ name, help, labelNames, registers: [this.registry], ...(collect ? { collect } : {}) });
  }

  histogram<L extends string>(name: string, help: string, labelNames: L[] = [], buckets?: number[]): Histogram<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Histogram<L>;
    return new Histogram({ name, help, labelNames, registers: [this.registry], ...(buckets ? { buckets } : {}) });
  }

  async exposition(): Promise<string> {
    return this.registry.metrics();
  }
}
