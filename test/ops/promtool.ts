/**
 * promtool (Prometheus' rule checker) for the alert-rule and dashboard specs. It comes from the
 * Debian package `prometheus`. A missing promtool fails the tests: a skipped check would let
 * broken rules ship.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');

export function runPromtool(args: string[]): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd: repoRoot, encoding: 'utf8' });
  if (r.error) {
    throw new Error(`promtool is not available (${r.error.message}). Install it with: apt-get install -y prometheus`);
  }
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}
