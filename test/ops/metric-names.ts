/**
 * Metric names Bulwark exposes (DESIGN.md section 6) and a small PromQL scanner, so the
 * dashboard and alert rules can be checked to query nothing the app does not export.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

/** Bulwark's own metrics, by type (histograms also expose _bucket, _sum and _count). */
export const BULWARK_METRICS = {
  counter: [
    'http_requests_total',
    'transactions_total',
    'bids_accepted_total',
    'bids_rejected_total',
    'rate_limited_requests_total',
    'ip_blocks_total',
    'errors_total',
    'redis_failovers_total',
  ],
  gauge: ['active_connections', 'redis_topology_info', 'auth_revocation_feed_lost_seconds', 'circuit_breaker_state', 'db_pool_connections', 'db_pool_idle', 'db_pool_waiting'],
  histogram: ['http_request_duration_seconds', 'bid_latency_seconds'],
};

function seriesNames(name: string, type: string): string[] {
  return type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
}

/** Series names of prom-client's default Node metrics, read from prom-client itself. */
export async function nodeDefaultSeriesNames(): Promise<string[]> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = await registry.getMetricsAsJSON();
  registry.clear();
  return metrics.flatMap((m) => seriesNames(m.name, String(m.type)));
}

/** Every series name a query against Bulwark may use: its own metrics plus Node defaults. */
export async function allowedSeriesNames(): Promise<Set<string>> {
  const own = Object.entries(BULWARK_METRICS).flatMap(([type, names]) => names.flatMap((n) => seriesNames(n, type)));
  return new Set([...own, ...(await nodeDefaultSeriesNames())]);
}

const NON_METRIC_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * Metric names referenced by a PromQL expression (Grafana variables allowed). Not a full
 * parser: strings, label matchers, range selectors and grouping label lists are removed, then
 * every remaining identifier that is neither a keyword nor a function call is a metric name.
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0];
    const before = stripped[m.index - 1] ?? '';
    const after = stripped.slice(m.index + word.length).trimStart();
    if (/[0-9.]/.test(before)) continue; // tail of a number or duration (1e3, 5m)
    if (after.startsWith('(')) continue; // function or aggregation
    if (NON_METRIC_WORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}
