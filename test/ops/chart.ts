/**
 * Renders helm/bulwark with `helm template` and checks every object against the Kubernetes
 * OpenAPI schema (kubernetes-models). Shared by the chart specs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { runHelm } from './helm-binary';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const chartDir = path.join(repoRoot, 'helm', 'bulwark');
export const productionValues = path.join(repoRoot, 'helm', 'examples', 'values-production.yaml');
export const RELEASE = 'acme';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: any;
}

type Validating = new (data: any) => { validate(): void };

/** Every built-in kind the chart may render, by "apiVersion/kind". */
const MODELS: Record<string, Validating> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Pod': Pod,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
};
/** Prometheus Operator CRDs: no schema in kubernetes-models, checked structurally. */
const CUSTOM_KINDS = new Set(['monitoring.coreos.com/v1/ServiceMonitor', 'monitoring.coreos.com/v1/PrometheusRule']);

export interface RenderOptions {
  valuesFiles?: string[];
  set?: Record<string, string | number | boolean>;
}

function helmValueArgs(opts: RenderOptions): string[] {
  const args: string[] = [];
  for (const file of opts.valuesFiles ?? []) args.push('-f', file);
  for (const [key, value] of Object.entries(opts.set ?? {})) args.push('--set', `${key}=${value}`);
  return args;
}

/** `helm template`; returns helm's exit status and output without throwing. */
export function helmTemplate(opts: RenderOptions = {}): { status: number | null; stdout: string; stderr: string } {
  const r = runHelm(['template', RELEASE, chartDir, '--namespace', 'bulwark', ...helmValueArgs(opts)]);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Renders the chart and parses every YAML document (empty ones dropped); throws on any error. */
export function renderChart(opts: RenderOptions = {}): K8sObject[] {
  const r = helmTemplate(opts);
  if (r.status !== 0) throw new Error(`helm template failed (${r.status}):\n${r.stderr}`);
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(r.stdout)) {
    if (doc.errors.length > 0) throw new Error(`helm template produced invalid YAML: ${doc.errors[0].message}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value as K8sObject);
  }
  return objects;
}

/** `helm lint --strict`; returns its combined output and exit status. */
export function helmLint(opts: RenderOptions = {}): { status: number | null; output: string } {
  const r = runHelm(['lint', '--strict', chartDir, ...helmValueArgs(opts)]);
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

/**
 * Throws unless every object has a name and a kind the chart is expected to render, and
 * built-in kinds pass their OpenAPI schema.
 */
export function validateObject(obj: K8sObject): void {
  const id = `${obj.apiVersion}/${obj.kind}`;
  if (!obj.metadata?.name) throw new Error(`${id} has no metadata.name`);
  const Model = MODELS[id];
  if (Model) {
    try {
      new Model(obj).validate();
    } catch (err) {
      throw new Error(`${id} ${obj.metadata.name} is invalid: ${(err as Error).message}`);
    }
  } else if (!CUSTOM_KINDS.has(id)) {
    throw new Error(`unexpected kind ${id} (${obj.metadata.name}): add it to MODELS in test/ops/chart.ts`);
  }
}

export function findAll(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** The single object of `kind` (optionally with a name suffix); fails when absent or ambiguous. */
export function findOne(objects: K8sObject[], kind: string, nameSuffix = ''): K8sObject {
  const matches = objects.filter((o) => o.kind === kind && o.metadata.name.endsWith(nameSuffix));
  if (matches.length !== 1) {
    throw new Error(`expected one ${kind}${nameSuffix ? ` named *${nameSuffix}` : ''}, got ${matches.length}`);
  }
  return matches[0];
}

/** Keys of .env.example, the source of truth for configuration names. */
export function envExampleKeys(): string[] {
  const text = fs.readFileSync(path.join(repoRoot, '.env.example'), 'utf8');
  return [...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
}

export const SECRET_KEYS = ['DATABASE_URL', 'REDIS_URL', 'REDIS_PASSWORD', 'JWT_SECRET', 'JWT_PREVIOUS_SECRETS', 'SMTP_URL'];

/** Does a label selector (matchLabels or plain map) select pods with these labels? */
export function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}
