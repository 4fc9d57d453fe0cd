/** DESIGN §10's result document, and the same figures as a table for people. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Violation } from './checker';

export const INVARIANTS = [
  'booksBalanced',
  'everyAckedMovementOnce',
  'noKeyAppliedTwice',
  'noNegativeBalance',
  'refusedMovedNothing',
  'auctionsClosedOnce',
  'winnersCorrect',
  'socketStreamsGapFree',
  'throttleWithinBound',
  'spentRefreshNeverWorked',
  'revokedSessionRejected',
] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface SoakResult {
  startedAt: string;
  seed: number;
  seconds: number;
  replicas: number;
  redis: string;
  operations: { total: number; byKind: Record<string, number> };
  faults: Array<{
    at: string;
    kind: string;
    target: string;
    recoveredMs: number | null;
    offsetMs?: number;
    durationMs?: number;
    error?: string;
    skipped?: string;
    /** redis-failover: the killed primary, the promoted replica, kill → promoted, kill → killed node back in sync */
    failover?: { killed: string; promoted: string; promotedMs: number; rejoinedMs?: number };
  }>;
  invariants: Record<Invariant, boolean>;
  availability: { non5xxShare: number; byFaultKind: Record<string, number> };
  violations: Violation[];
  ok: boolean;
  /** Figures behind the verdicts (not part of §10's fixed keys). */
  details: Record<string, unknown>;
}

export function writeResult(result: SoakResult, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${result.startedAt.replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  return file;
}

const failoverNote = (f: SoakResult['faults'][number]['failover']) =>
  f ? ` (${f.killed} killed → ${f.promoted} promoted${f.rejoinedMs !== undefined ? `; rejoined as replica after ${f.rejoinedMs} ms` : ''})` : '';

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

export function renderTable(r: SoakResult): string {
  const lines: string[] = [];
  lines.push(
    `soak · seed ${r.seed} · ${r.seconds} s · ${r.replicas} replicas · redis ${r.redis} · started ${r.startedAt} · ${r.ok ? 'OK' : 'FAILED'}`,
  );
  lines.push('');
  lines.push(
    `operations: ${r.operations.total}  (${Object.entries(r.operations.byKind)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
  );
  lines.push('');
  lines.push('| at (s) | fault | target | lasted (ms) | recovered after (ms) |');
  lines.push('| ---: | --- | --- | ---: | ---: |');
  for (const f of r.faults)
    if (f.skipped)
      lines.push(`| ${((f.offsetMs ?? 0) / 1000).toFixed(1)} | ${f.kind} | ${f.target} | skipped: ${f.skipped} | |`);
    else
      lines.push(
        `| ${((f.offsetMs ?? 0) / 1000).toFixed(1)} | ${f.kind} | ${f.target}${failoverNote(f.failover)} | ${f.durationMs ?? ''} | ${f.recoveredMs ?? 'not recovered'}${f.error ? ` (${f.error.slice(0, 60)})` : ''} |`,
      );
  lines.push('');
  lines.push('| invariant | holds |');
  lines.push('| --- | --- |');
  for (const [k, v] of Object.entries(r.invariants)) lines.push(`| ${k} | ${v ? 'yes' : '**NO**'} |`);
  lines.push('');
  lines.push(`| answered without 5xx | share |`);
  lines.push('| --- | ---: |');
  lines.push(`| all operations | ${pct(r.availability.non5xxShare)} |`);
  for (const [k, v] of Object.entries(r.availability.byFaultKind)) lines.push(`| during ${k} | ${pct(v)} |`);
  if (r.violations.length > 0) {
    lines.push('');
    lines.push(`violations (replay with --seed ${r.seed}):`);
    for (const v of r.violations.slice(0, 20)) lines.push(`- ${v.invariant}: ${v.operation} — ${v.detail}`);
    if (r.violations.length > 20) lines.push(`  … ${r.violations.length - 20} more in the JSON`);
  }
  return lines.join('\n');
}
