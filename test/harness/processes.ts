/**
 * Child processes the harness starts and stops (by PID): embedded PostgreSQL, redis-server and
 * app instances (`node dist/main.js`). Everything listens on 127.0.0.1 and free ports.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
/**
 * The node flags `npm start` (`node <flags> dist/main.js`) runs the app with; the image's CMD and
 * the README carry the same (test/ops/dockerfile.spec.ts): replicas under test get production's heap.
 */
export const APP_NODE_FLAGS: readonly string[] = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start
  .split(' ')
  .slice(1, -1);

// The app's own free-port finder (a pure module: node built-ins only).
export { freePort };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A process's state from /proc (`S (sleeping)`, `D (disk sleep)`, `Z (zombie)`...) and the kernel
 * function it waits in: what a log line needs when a process will not stop.
 */
export function processState(pid: number): string {
  try {
    const state = /^State:\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 'unknown';
    let wchan = '';
    try {
      wchan = readFileSync(`/proc/${pid}/wchan`, 'utf8').trim();
    } catch {
      /* not readable here */
    }
    return wchan && wchan !== '0' ? `${state}, in ${wchan}` : state;
  } catch {
    return 'gone';
  }
}

/** The children of this process, from /proc. */
export function childProcesses(): { pid: number; name: string; state: string }[] {
  const found: { pid: number; name: string; state: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === process.pid) found.push({ pid: Number(entry), name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), state });
    } catch {
      /* ended while we looked */
    }
  }
  return found;
}

/**
 * Waits for a signalled child to exit: SIGKILL after `timeoutMs`, and after that at most
 * KILLED_EXIT_WAIT_MS more. SIGKILL cannot be refused, but a process stuck in the kernel (state
 * D) only dies when that call returns; an unbounded wait there would hang the whole run (and CI)
 * instead of failing with a reason. Resolves null when it gives up.
 */
const KILLED_EXIT_WAIT_MS = 5_000;
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((res) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const giveUp = setTimeout(() => {
      child.removeListener('exit', onExit);
      const name = child.spawnargs.slice(0, 2).join(' ');
      process.stderr.write(`harness: pid ${child.pid} (${name}) has not exited ${KILLED_EXIT_WAIT_MS} ms after SIGKILL: ${processState(child.pid ?? 0)}\n`);
      res(null);
    }, timeoutMs + KILLED_EXIT_WAIT_MS);
    const onExit = (code: number | null) => {
      clearTimeout(kill);
      clearTimeout(giveUp);
      res(code);
    };
    child.once('exit', onExit);
  });
}

/** Whether a process with this pid runs (a zombie, dead but not yet reaped, does not). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0 only checks
  } catch {
    return false;
  }
  return !processState(pid).startsWith('Z');
}

/**
 * Makes sure the postmaster of a data directory is gone. The embedded-cli wrapper stops it on
 * SIGTERM; but a wrapper that had to be SIGKILLed leaves its postmaster running, and deleting the
 * data directory under a running server is no cleanup. Fast shutdown first, then SIGKILL.
 */
async function stopPostmaster(dataDir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return; // no pid file: the server shut down cleanly
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  process.stderr.write(`harness: the postmaster (pid ${pid}) outlived its wrapper; stopping it\n`);
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
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
      await stopPostmaster(join(dir, 'pg'));
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
  const child = spawn(process.execPath, [...APP_NODE_FLAGS, DIST_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
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
