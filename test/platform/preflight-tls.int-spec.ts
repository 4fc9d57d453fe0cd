/**
 * The deployment checker (`npm run preflight`) and direct HTTPS serving.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, httpsGet, ROOT, sharedPostgresUrl, sharedRedisUrl, startApp } from '../harness';

const STRONG_SECRET = 'preflight-secret-0123456789-abcdefghijklmnop';

function preflight(env: Record<string, string>) {
  return spawnSync(process.execPath, [join(ROOT, 'dist/preflight.js')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('preflight', () => {
  it('passes against a migrated database and a live Redis', async () => {
    const db = await createDatabase();
    const res = preflight({ NODE_ENV: 'production', DATABASE_URL: db, REDIS_URL: sharedRedisUrl(), JWT_SECRET: STRONG_SECRET, REDIS_NAMESPACE: 'staging' });
    expect(res.stdout).toContain('preflight: all checks passed');
    expect(res.stdout).toMatch(/PASS\s+redis\s+standalone redis:\/\/127\.0\.0\.1:\d+, namespace staging: reachable in \d+ ms/);
    expect(res.stdout).toMatch(/PASS\s+migrations\s+schema up to date/);
    expect(res.status).toBe(0);
  });

  it('fails with a readable report naming pending migrations and unreachable Redis', async () => {
    const unmigrated = await createDatabase(sharedPostgresUrl(), { migrate: false });
    const res = preflight({ NODE_ENV: 'production', DATABASE_URL: unmigrated, REDIS_URL: 'redis://127.0.0.1:1', JWT_SECRET: STRONG_SECRET });
    expect(res.status).toBe(1);
    expect(res.stdout).toMatch(/FAIL\s+migrations\s+pending migrations/);
    expect(res.stdout).toMatch(/FAIL\s+redis\s+standalone redis:\/\/127\.0\.0\.1:1, namespace \(none\): unreachable/);
    expect(res.stdout).toContain('preflight: 2 check(s) failed');
  });

  it('fails on invalid configuration', () => {
    const res = preflight({ NODE_ENV: 'production', JWT_SECRET: 'secret' });
    expect(res.status).toBe(1);
    expect(res.stdout).toMatch(/FAIL\s+configuration\s+.*DATABASE_URL.*JWT_SECRET|FAIL\s+configuration\s+.*JWT_SECRET/);
  });
});

describe('TLS', () => {
  it('serves HTTPS directly when TLS_CERT_FILE and TLS_KEY_FILE are set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-tls-'));
    const gen = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { encoding: 'utf8' },
    );
    expect(gen.status).toBe(0);
    const ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const app = await startApp({
      databaseUrl: await createDatabase(),
      env: { TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'key.pem') },
      tlsCa: ca,
    });
    try {
      expect(app.baseUrl.startsWith('https://')).toBe(true);
      const res = await httpsGet(`${app.baseUrl}/health/live`, ca);
      expect(res.status).toBe(200);
      await expect(fetch(`http://127.0.0.1:${app.port}/health/live`)).rejects.toThrow();
    } finally {
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
