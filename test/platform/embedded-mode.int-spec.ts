/**
 * The embedded default (no DATABASE_URL, no REDIS_URL): the app starts its own PostgreSQL,
 * migrates, warns about single-instance mode, stops cleanly on SIGINT and SIGTERM, and a second
 * start finds the same data; the start prints no deprecation warning. Also: /metrics of a busy
 * app passes `promtool check metrics`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, startApp } from '../harness';
import { runPromtool } from '../ops/promtool';

/** Lines Node prints for process.emitWarning (deprecations, experimental features): `(node:PID) ...`. */
const processWarnings = (output: string) => output.split('\n').filter((line) => /^\(node:\d+\) /.test(line));

/** No DATABASE_URL, no REDIS_URL: the app starts its own PostgreSQL in `dataDir`. */
const startEmbedded = (dataDir: string) => startApp({ env: { EMBEDDED_PG_DIR: dataDir, SHUTDOWN_DRAIN_MS: '0' } });

describe('embedded single-instance mode', () => {
  it('starts its own PostgreSQL, keeps data across restarts, and stops cleanly on SIGINT and SIGTERM', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'bulwark-embedded-')), 'pg');
    const email = `embedded-${Date.now()}@example.test`;
    const first = await startEmbedded(dataDir);
    try {
      expect(first.output()).toContain('single-instance mode');
      expect(first.output()).toContain('embedded PostgreSQL started');
      // A new user's first `npm start` is this start: no Node/Fastify warning (e.g. FSTDEP023).
      expect(processWarnings(first.output())).toEqual([]);
      const signup = await api(first.baseUrl, 'POST', '/api/v1/auth/signup', { body: { email, password: 'Str0ng!Passw0rd' } });
      expect(signup.status).toBe(201);

      const text = (await api<string>(first.baseUrl, 'GET', '/metrics')).body;
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
