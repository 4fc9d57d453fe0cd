/**
 * helm/bulwark/rules/bulwark-rules.yaml: valid for Prometheus (promtool check rules), alerts fire
 * and stay quiet as intended (promtool unit tests in test/ops/promtool/), and every expression
 * queries only metrics Bulwark exports (or the Prometheus/kube-state-metrics series named below).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { allowedSeriesNames, metricNamesIn } from './metric-names';
import { runPromtool } from './promtool';

const repoRoot = path.resolve(__dirname, '..', '..');
const RULES_FILE = 'helm/bulwark/rules/bulwark-rules.yaml';
const RULE_TESTS = 'test/ops/promtool/bulwark-rules.test.yaml';

/** Series from outside the app: Prometheus' scrape health and kube-state-metrics. */
const EXTERNAL_SERIES = ['up', 'kube_pod_status_ready'];

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const rules: AlertRule[] = parseYaml(fs.readFileSync(path.join(repoRoot, RULES_FILE), 'utf8')).groups.flatMap(
  (g: { rules: AlertRule[] }) => g.rules,
);

function rule(name: string): AlertRule {
  const found = rules.find((r) => r.alert === name);
  if (!found) throw new Error(`alert ${name} is missing from ${RULES_FILE}`);
  return found;
}

describe('Prometheus alert rules', () => {
  it('pass promtool check rules', () => {
    const { status, output } = runPromtool(['check', 'rules', RULES_FILE]);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });

  it('pass the promtool rule unit tests (alerts fire, and stay quiet, on synthetic series)', () => {
    const { status, output } = runPromtool(['test', 'rules', RULE_TESTS]);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });

  it('cover 5xx rate, latency, readiness flapping, open breakers, 429 surges and IP block surges', () => {
    expect(rule('BulwarkHighErrorRate').expr).toMatch(/http_requests_total\{[^}]*status=~"5\.\."/);
    expect(rule('BulwarkHighLatencyP95').expr).toMatch(
      /histogram_quantile\(0\.95,[\s\S]*http_request_duration_seconds_bucket/,
    );
    expect(rule('BulwarkReadinessFlapping').expr).toMatch(/changes\(kube_pod_status_ready/);
    expect(rule('BulwarkScrapeTargetFlapping').expr).toMatch(/changes\(up\{/);
    expect(rule('BulwarkCircuitBreakerOpen').expr).toMatch(/circuit_breaker_state\{[^}]*\}\) == 2$/);
    expect(rule('BulwarkRateLimitSurge').expr).toContain('rate_limited_requests_total');
    expect(rule('BulwarkIpBlockSurge').expr).toContain('ip_blocks_total');
  });

  it('cover the revocation feed and Redis failovers', () => {
    expect(rule('BulwarkRevocationFeedLost').expr).toContain('auth_revocation_feed_lost_seconds');
    expect(rule('BulwarkRedisFailoverFlapping').expr).toContain('redis_failovers_total');
  });

  it('give every alert a severity, a summary and a description', () => {
    expect(rules.length).toBeGreaterThanOrEqual(7);
    for (const r of rules) {
      expect({ alert: r.alert, severity: r.labels?.severity }).toEqual({
        alert: r.alert,
        severity: expect.stringMatching(/^(critical|warning)$/),
      });
      expect(r.annotations?.summary).toBeTruthy();
      expect(r.annotations?.description).toBeTruthy();
    }
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  it('query only metrics Bulwark exports, scoped to job="bulwark"', async () => {
    const allowed = new Set([...(await allowedSeriesNames()), ...EXTERNAL_SERIES]);
    for (const r of rules) {
      const names = metricNamesIn(r.expr);
      expect(names.length).toBeGreaterThan(0);
      expect({ alert: r.alert, unknown: names.filter((n) => !allowed.has(n)) }).toEqual({
        alert: r.alert,
        unknown: [],
      });
      // Every selector of an app metric names the job, so other apps' series never match.
      for (const selector of r.expr.matchAll(/\b([a-z_:]+)\{([^}]*)\}/g)) {
        if (EXTERNAL_SERIES.includes(selector[1]) && selector[1] !== 'up') continue;
        expect({ alert: r.alert, selector: selector[0], job: selector[2].includes('job="bulwark"') }).toEqual({
          alert: r.alert,
          selector: selector[0],
          job: true,
        });
      }
    }
  });
});
