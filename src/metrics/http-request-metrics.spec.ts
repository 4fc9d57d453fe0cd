import { Counter, Histogram, Registry } from 'prom-client';
import { FLUSH_AT, HttpRequestMetrics } from './http-request-metrics';

const BUCKETS = [0.001, 0.01, 0.1, 1];

const lines = (exposition: string) => exposition.split('\n').sort();

/** The two metrics on their own registry, built like MetricsService builds them. */
function metrics(batched: boolean) {
  const registry = new Registry();
  const holder: { http?: HttpRequestMetrics } = {};
  const collect = batched ? { collect: () => holder.http?.flush() } : {};
  const counter = new Counter({
    name: 'http_requests_total',
    help: 'h',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
    ...collect,
  });
  const histogram = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'h',
    labelNames: ['method', 'route'],
    buckets: BUCKETS,
    registers: [registry],
    ...collect,
  });
  const http = (holder.http = new HttpRequestMetrics(counter, histogram));
  return { registry, counter, histogram, http };
}

/** Requests of a few series with varied statuses and durations (every bucket, +Inf too). */
function traffic(n: number): Array<[string, string, number, number]> {
  const out: Array<[string, string, number, number]> = [];
  for (let i = 0; i < n; i++) {
    const route = i % 3 === 0 ? '/api/v1/accounts/:accountNumber' : i % 3 === 1 ? '/health/live' : 'unmatched';
    out.push([
      i % 5 === 0 ? 'POST' : 'GET',
      route,
      i % 7 === 0 ? 404 : 200,
      (i % 11) * 0.0007 + (i % 13 === 0 ? 2 : 0),
    ]);
  }
  return out;
}

describe('HttpRequestMetrics (batched into prom-client)', () => {
  it('a scrape shows exactly what recording every request straight into prom-client shows', async () => {
    for (const n of [1, FLUSH_AT - 1, FLUSH_AT, 3 * FLUSH_AT + 17]) {
      const batched = metrics(true);
      const direct = metrics(false);
      for (const [method, route, status, seconds] of traffic(n)) {
        batched.http.of(method, route).record(status, seconds);
        direct.counter.labels(method, route, String(status)).inc();
        direct.histogram.labels(method, route).observe(seconds);
      }
      // Series come out in the order prom-client first saw them, which batching changes.
      expect(lines(await batched.registry.metrics())).toEqual(lines(await direct.registry.metrics()));
    }
  });

  it('counts nothing twice: a second scrape after more requests shows the sum', async () => {
    const { registry, http } = metrics(true);
    const live = http.of('GET', '/health/live');
    for (let i = 0; i < 10; i++) live.record(200, 0.002);
    expect(await registry.metrics()).toContain(
      'http_requests_total{method="GET",route="/health/live",status="200"} 10',
    );
    for (let i = 0; i < 5; i++) live.record(200, 0.002);
    const text = await registry.metrics();
    expect(text).toContain('http_requests_total{method="GET",route="/health/live",status="200"} 15');
    expect(text).toContain('http_request_duration_seconds_count{method="GET",route="/health/live"} 15');
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.01",method="GET",route="/health/live"} 15');
  });

  it('holds at most FLUSH_AT requests per series when nobody scrapes', async () => {
    const { counter, http } = metrics(false); // no collect: only the series' own flushes reach prom-client
    const live = http.of('GET', '/health/live');
    for (let i = 0; i < 2 * FLUSH_AT + 3; i++) live.record(200, 0.001);
    expect(live.pending).toBe(3);
    const value = (await counter.get()).values.find((v) => v.labels.route === '/health/live')?.value;
    expect(value).toBe(2 * FLUSH_AT);
  });

  it('flush() empties every series with pending requests', () => {
    const { http } = metrics(false);
    const a = http.of('GET', '/a');
    const b = http.of('POST', '/b');
    a.record(200, 0.001);
    b.record(500, 0.2);
    b.record(201, 0.01);
    http.flush();
    expect([a.pending, b.pending]).toEqual([0, 0]);
    expect(http.of('GET', '/a')).toBe(a);
  });
});
