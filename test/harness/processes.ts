/**
 * Child processes the harness starts and stops (by PID): embedded PostgreSQL, redis-server and
 * app instances (`node dist/main.js`). Everything listens on 127.0.0.1 and free ports.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { request as httpsRequest } from 'node:https';
import { freePort } from '../../src/infra/database/embedded-postgres';

/** The repository root: the nearest folder up with a package.json (the harness also runs compiled, from dist-soak/). */
function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return resolve(__dirname, '..', '..');
  }
}
export const ROOT = findRoot(__dirname);
export const DIST_MAIN = join(ROOT, 'dist', 'main.js');

// The app's own free-port finder (a pure module: node built-ins only).
export { freePort };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((res) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      res(code);
    });
  });
}

export interface PostgresServer {
  url: string;
  port: number;
  dataDir: string;
  pid: number;
  /** Stops the server (fast shutdown). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops the server and deletes its data directory: a full test run leaves nothing in /tmp. */
  dispose(): Promise<void>;
}

/**
 * WAL kept small: PostgreSQL 15 writes every CREATE DATABASE (one per test file) into the WAL, and
 * with the default max_wal_size (1 GB) a test run kept about 300 MB of it on disk.
 */
const TEST_SERVER_SETTINGS = ['max_wal_size=128MB', 'min_wal_size=32MB'];

export async function startPostgres(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-pg-'));
  const fixedPort = await freePort();
  let child: ChildProcess | undefined;
  const server: PostgresServer = {
    url: '',
    port: fixedPort,
    dataDir: dir,
    pid: 0,
    async start() {
      const args = ['--dir', join(dir, 'pg'), '--port', String(fixedPort), ...TEST_SERVER_SETTINGS.flatMap((s) => ['--set', s])];
      const proc = spawn(process.execPath, [join(ROOT, 'dist/infra/database/embedded-cli.js'), ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      child = proc;
      server.pid = proc.pid ?? 0;
      const line = await new Promise<string>((res, rej) => {
        let out = '';
        let err = '';
        proc.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) res(out.split('\n')[0]);
        });
        proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        proc.once('exit', (code) => rej(new Error(`embedded postgres exited with ${code}: ${err}`)));
      });
      server.url = (JSON.parse(line) as { url: string }).url;
    },
    async stop() {
      if (!child) return;
      child.kill('SIGTERM');
      await waitForExit(child, 15_000);
      child = undefined;
    },
    async dispose() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

export interface RedisServer {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export function redisServerBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (!found) {
    throw new Error('redis-server is not installed. Install it with: sudo apt-get update && sudo apt-get install -y redis-server');
  }
  return found;
}

export async function startRedis(port?: number): Promise<RedisServer> {
  const bin = redisServerBinary();
  const fixedPort = port ?? (await freePort());
  let child: ChildProcess | undefined;
  const server: RedisServer = {
    url: `redis://127.0.0.1:${fixedPort}`,
    port: fixedPort,
    pid: 0,
    async start() {
      const proc = spawn(bin, ['--port', String(fixedPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = proc;
      server.pid = proc.pid ?? 0;
      await new Promise<void>((res, rej) => {
        let out = '';
        proc.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('Ready to accept connections')) res();
        });
        proc.once('exit', (code) => rej(new Error(`redis-server exited with ${code}: ${out}`)));
      });
    },
    async stop() {
      if (!child) return;
      child.kill('SIGTERM');
      await waitForExit(child, 10_000);
      child = undefined;
    },
  };
  await server.start();
  return server;
}

export interface AppProcess {
  baseUrl: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** Everything the process wrote (JSON log lines). */
  output(): string;
  /** Everything, once its stdout has closed: 'exit' can come before the last 'data'. */
  finalOutput(): Promise<string>;
  /** Sends a signal and waits for the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** SIGKILL, for crash tests. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

export interface StartAppOptions {
  /** Omitted: embedded single-instance mode (set EMBEDDED_PG_DIR in `env`). */
  databaseUrl?: string;
  redisUrl?: string;
  /** Extra environment; a key set to undefined removes a harness default (to test the app's own default). */
  env?: Record<string, string | undefined>;
  /** Wait for /health/ready (default) or only for the port to answer. */
  waitFor?: 'ready' | 'live';
  port?: number;
  /** The app serves HTTPS (TLS_CERT_FILE/TLS_KEY_FILE in env); readiness is polled with this CA. */
  tlsCa?: string;
  /** How long to wait for readiness before giving up (default 60 s). */
  readyTimeoutMs?: number;
}

/** GET over HTTPS trusting `ca` (the global fetch cannot take a custom CA). */
export function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    const req = httpsRequest(url, { ca, method: 'GET' }, (r) => {
      let body = '';
      r.on('data', (d: Buffer) => (body += d.toString()));
      r.on('end', () => res({ status: r.statusCode ?? 0, body }));
    });
    req.on('error', rej);
    req.end();
  });
}

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-0123456789abcdef';

export async function startApp(opts: StartAppOptions): Promise<AppProcess> {
  const port = opts.port ?? (await freePort());
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'info',
    SHUTDOWN_DRAIN_MS: '200',
    SHUTDOWN_GRACE_MS: '10000',
    // All test traffic comes from 127.0.0.1 and the shared Redis outlives each test file: with the
    // production IP threshold (100/min) busy tests would block each other. IP tests set their own.
    IP_BLOCK_THRESHOLD: '1000000/60',
    ...(opts.redisUrl ? { REDIS_URL: opts.redisUrl } : {}),
    ...opts.env,
  };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  const child = spawn(process.execPath, [DIST_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const baseUrl = `${opts.tlsCa ? 'https' : 'http'}://127.0.0.1:${port}`;
  const app: AppProcess = {
    baseUrl,
    port,
    pid: child.pid ?? 0,
    child,
    output: () => output,
    async finalOutput() {
      if (!child.stdout!.closed) await new Promise((res) => child.stdout!.once('close', res));
      return output;
    },
    exited,
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return waitForExit(child, timeoutMs);
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  const path = opts.waitFor === 'live' ? '/health/live' : '/health/ready';
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`app exited with ${child.exitCode} before ready:\n${output.slice(-4000)}`);
    try {
      const status = opts.tlsCa ? (await httpsGet(baseUrl + path, opts.tlsCa)).status : (await fetch(baseUrl + path)).status;
      if (status === 200) return app;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await app.kill();
      throw new Error(`app not ready within ${readyTimeoutMs / 1000} s:\n${output.slice(-4000)}`);
    }
    await sleep(100);
  }
}

/** Runs the migration CLI (`run` applies pending migrations, `revert` undoes the last one). */
export function migrate(databaseUrl: string, command: 'run' | 'revert' = 'run'): void {
  const res = spawnSync(process.execPath, [join(ROOT, 'dist/infra/database/migrate.js'), command], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl, NODE_ENV: 'test' },
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`migration ${command} failed: ${res.stderr}${res.stdout}`);
}
