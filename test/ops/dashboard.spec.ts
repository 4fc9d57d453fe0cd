/**
 * helm/bulwark/dashboards/bulwark.json: valid Grafana JSON whose every panel queries only
 * metrics Bulwark exports (DESIGN.md section 6, plus prom-client's Node defaults), with PromQL
 * that Prometheus itself parses (checked by promtool on the queries as recording rules).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { BULWARK_METRICS, allowedSeriesNames, metricNamesIn } from './metric-names';
import { runPromtool } from './promtool';

const repoRoot = path.resolve(__dirname, '..', '..');
const dashboardText = fs.readFileSync(path.join(repoRoot, 'helm', 'bulwark', 'dashboards', 'bulwark.json'), 'utf8');

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** Grafana's template variables replaced by what Prometheus would receive. */
function expandVariables(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$__interval/g, '1m')
    .replace(/\$__range/g, '1h')
    .replace(/\$\{?job\}?/g, 'bulwark')
    .replace(/\$\{?instance\}?/g, '.*');
}

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(dashboardText);
  const panels = allPanels(dashboard.panels);
  const queryPanels = panels.filter((p) => p.type !== 'row');
  const exprs = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

  it('is a dashboard with a stable uid and a Prometheus datasource variable', () => {
    expect(dashboard.title).toBe('Bulwark');
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const variables = dashboard.templating.list;
    expect(variables.find((v: any) => v.name === 'datasource')).toMatchObject({
      type: 'datasource',
      query: 'prometheus',
    });
    expect(variables.find((v: any) => v.name === 'job')?.current?.value).toBe('bulwark');
  });

  it('gives every panel a unique id, a place on the 24-column grid and the datasource variable', () => {
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels) {
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      expect(p.title).toBeTruthy();
    }
    for (const p of queryPanels) {
      expect({ panel: p.title, uid: p.datasource?.uid }).toEqual({ panel: p.title, uid: '${datasource}' });
    }
  });

  it('has at least one query per panel, referencing only metrics Bulwark exports', async () => {
    const allowed = await allowedSeriesNames();
    expect(queryPanels.length).toBeGreaterThanOrEqual(10);
    for (const p of queryPanels) {
      expect({ panel: p.title, hasQueries: (p.targets?.length ?? 0) > 0 }).toEqual({
        panel: p.title,
        hasQueries: true,
      });
      for (const t of p.targets!) {
        const names = metricNamesIn(t.expr);
        expect({ panel: p.title, expr: t.expr, hasMetric: names.length > 0 }).toEqual({
          panel: p.title,
          expr: t.expr,
          hasMetric: true,
        });
        expect({ panel: p.title, unknown: names.filter((n) => !allowed.has(n)) }).toEqual({
          panel: p.title,
          unknown: [],
        });
        // Scoped to the selected job and replicas, like the alert rules.
        expect(t.expr).toContain('job=~"$job"');
      }
    }
  });

  it('shows traffic, latency, errors, transfers, bids, 429s, IP blocks, breakers, sockets and the DB pool', () => {
    const used = new Set(exprs.flatMap((e) => metricNamesIn(e)));
    const own = [...BULWARK_METRICS.counter, ...BULWARK_METRICS.gauge];
    for (const name of own) expect({ metric: name, shown: used.has(name) }).toEqual({ metric: name, shown: true });
    for (const name of BULWARK_METRICS.histogram) expect(used.has(`${name}_bucket`)).toBe(true);
    expect(exprs.some((e) => /histogram_quantile\(0\.95, sum by \(le, route\)/.test(e))).toBe(true);
    expect(exprs.some((e) => /transactions_total\{[^}]*type=~"\(\?i\)transfer"/.test(e))).toBe(true);
    const breakers = queryPanels.find((p) => p.targets?.some((t) => t.expr.includes('circuit_breaker_state')))! as any;
    const mapped = breakers.fieldConfig.defaults.mappings[0].options;
    expect([mapped['0'].text, mapped['1'].text, mapped['2'].text]).toEqual(['closed', 'half-open', 'open']);
  });

  it('uses PromQL that Prometheus parses', () => {
    // promtool has no expression checker; it checks recording rules, so wrap each query in one.
    const rules = {
      groups: [
        {
          name: 'dashboard',
          rules: exprs.map((expr, i) => ({ record: `bulwark:dashboard_query_${i}`, expr: expandVariables(expr) })),
        },
      ],
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-dashboard-'));
    try {
      const file = path.join(dir, 'queries.yaml');
      fs.writeFileSync(file, toYaml(rules));
      const { status, output } = runPromtool(['check', 'rules', file]);
      expect(output).toContain(`SUCCESS: ${exprs.length} rules found`);
      expect(status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
