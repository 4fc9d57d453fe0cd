/**
 * The embedded default (no DATABASE_URL, no REDIS_URL): the app starts its own PostgreSQL,
 * migrates, warns about single-instance mode, stops cleanly on SIGINT and SIGTERM, and a second
 * start finds the same data. Also: /metrics of a busy app passes `promtool check metrics`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, DIST_MAIN, freePort, ROOT, sleep } from '../harness';
import { runPromtool } from '../ops/promtool';

async function startEmbedded(dataDir: string) {
  const port = await freePort();
  const child = spawn(process.execPath, [DIST_MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', EMBEDDED_PG_DIR: dataDir, SHUTDOWN_DRAIN_MS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${output.slice(-3000)}`);
    if (Date.now() - t0 > 60_000) throw new Error(`not ready in 60 s: ${output.slice(-3000)}`);
    const ok = await fetch(`${baseUrl}/health/ready`).then((r) => r.status === 200, () => false);
    if (ok) break;
    await sleep(200);
  }
  return { baseUrl, child, exited, output: () => output };
}

describe('embedded single-instance mode', () => {
  it('starts its own PostgreSQL, keeps data across restarts, and stops cleanly on SIGINT and SIGTERM', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'bulwark-embedded-')), 'pg');
    const email = `embedded-${Date.now()}@example.test`;
    const first = await startEmbedded(dataDir);
    try {
      expect(first.output()).toContain('single-instance mode');
      expect(first.output()).toContain('embedded PostgreSQL started');
      const signup = await api(first.baseUrl, 'POST', '/api/v1/auth/signup', { body: { email, password: 'Str0ng!Passw0rd' } });
      expect(signup.status).toBe(201);

      const text = (await api<string>(first.baseUrl, 'GET', '/metrics')).body;
      const { spawnSync } = await import('node:child_process');
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      if (check.error) runPromtool(['--version']); // throws the install hint
      expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
      expect(check.status).toBe(0);
    } finally {
      first.child.kill('SIGINT');
    }
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('"component":"embedded-postgres"');

    const second = await startEmbedded(dataDir);
    try {
      const again = await api(second.baseUrl, 'POST', '/api/v1/auth/signup', { body: { email, password: 'Str0ng!Passw0rd' } });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('EMAIL_TAKEN');
    } finally {
      second.child.kill('SIGTERM');
    }
    expect(await second.exited).toBe(0);
  });
});
