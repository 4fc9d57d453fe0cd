'use strict';
/**
 * Processes the benchmark starts and stops by PID: embedded PostgreSQL, redis-server, app
 * replicas (`node dist/main.js`) and the anchors. Everything on 127.0.0.1, free ports.
 */
const { spawn, spawnSync } = require('node:child_process');
const { createServer } = require('node:net');
const { readFileSync, readdirSync, mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { Client } = require('pg');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

const started = [];
const tempDirs = [];

/** A directory under the system temp dir, deleted by stopAll (after the processes using it stop). */
function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

function track(child, name) {
  started.push({ child, name });
  return child;
}

function stopChild(child, signal = 'SIGTERM', timeoutMs = 20_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((res) => {
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      res(code);
    });
    child.kill(signal);
  });
}

async function stopAll() {
  for (const { child } of started.reverse()) await stopChild(child);
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

function ensureApt(binary, pkg) {
  if (spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0) return;
  process.stdout.write(`installing ${pkg} (for ${binary})\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('sh', ['-c', `printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d; apt-get update -qq && apt-get install -y -qq ${pkg}; rm -f /usr/sbin/policy-rc.d`], { stdio: 'inherit', env });
  if (spawnSync('sh', ['-c', `command -v ${binary}`]).status !== 0) throw new Error(`${binary} is still missing after installing ${pkg}`);
}

async function startPostgres(dataDir) {
  const port = await freePort();
  const child = track(spawn(process.execPath, [join(ROOT, 'dist/infra/database/embedded-cli.js'), '--dir', dataDir, '--port', String(port)], { stdio: ['pipe', 'pipe', 'inherit'] }), 'postgres');
  const line = await new Promise((res, rej) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) res(out.split('\n')[0]);
    });
    child.once('exit', (c) => rej(new Error(`embedded postgres exited ${c}`)));
  });
  return { ...JSON.parse(line), child };
}

async function startRedis() {
  ensureApt('redis-server', 'redis-server');
  const port = await freePort();
  const child = track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] }), 'redis');
  await new Promise((res, rej) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) res();
    });
    child.once('exit', (c) => rej(new Error(`redis exited ${c}`)));
  });
  return { url: `redis://127.0.0.1:${port}`, port, child };
}

/**
 * PostgreSQL for a bench run: an embedded server in a temp dir with a migrated `bulwark` database.
 * Returns the server (admin) URL and the application database URL.
 */
async function startDatabase() {
  const pg = await startPostgres(join(tempDir('bulwark-bench-'), 'pg'));
  const admin = new Client({ connectionString: pg.url });
  await admin.connect();
  await admin.query('CREATE DATABASE bulwark');
  await admin.end();
  const dbUrl = pg.url.replace(/\/postgres$/, '/bulwark');
  const mig = spawnSync(process.execPath, [join(ROOT, 'dist/infra/database/migrate.js'), 'run'], { env: { PATH: process.env.PATH, DATABASE_URL: dbUrl }, encoding: 'utf8' });
  if (mig.status !== 0) throw new Error(`migrations failed: ${mig.stderr}`);
  return { serverUrl: pg.url, dbUrl, pid: pg.child.pid };
}

/**
 * The node binary replicas run on: BENCH_NODE=/path/to/node (e.g. the next LTS, to compare
 * runtimes on the same build), else the one running the bench.
 */
const REPLICA_NODE = process.env.BENCH_NODE || process.execPath;
/** BENCH_MAIN=dist-exp/main.js: the replicas' entry point (a patched copy of dist, for A/B runs). */
const REPLICA_MAIN = join(ROOT, process.env.BENCH_MAIN || 'dist/main.js');
/** The node flags of `npm start` (`node <flags> dist/main.js`), as in the image's CMD; extra ones follow. */
const REPLICA_NODE_FLAGS = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start.split(' ').slice(1, -1);

/**
 * Starts a replica and resolves once /health/ready answers 200; returns cold-start time.
 * `opts.main` (relative to the repo) and `opts.node` override BENCH_MAIN and BENCH_NODE.
 */
async function startReplica(env, nodeArgs = [], opts = {}) {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const main = opts.main ? join(ROOT, opts.main) : REPLICA_MAIN;
  // The settings of bench/lib/node-in-memory-cgroup.sh, when that is the replica's node.
  const wrapper = Object.fromEntries(['BENCH_REAL_NODE', 'BENCH_MEMORY_LIMIT_MB', 'BENCH_DROP_FLAG'].filter((k) => process.env[k]).map((k) => [k, process.env[k]]));
  const child = track(spawn(opts.node || REPLICA_NODE, [...REPLICA_NODE_FLAGS, ...nodeArgs, main], { env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', ...wrapper, ...env }, stdio: ['ignore', 'ignore', 'pipe'] }), 'replica');
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const baseUrl = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`replica exited ${child.exitCode}: ${stderr.slice(-2000)}`);
    try {
      if ((await fetch(`${baseUrl}/health/ready`)).status === 200) break;
    } catch {
      /* not up yet */
    }
    await sleep(20);
  }
  return { baseUrl, port, child, pid: child.pid, coldStartMs: Number(process.hrtime.bigint() - t0) / 1e6 };
}

/**
 * Starts an anchor (`node <args>`) and resolves once it prints "ready". Anchors run on the
 * replicas' runtime (BENCH_NODE, or `opts.node`), so a ratio compares like with like.
 */
async function startAnchor(args, opts = {}) {
  const { stdinPipe = false, env, node = REPLICA_NODE } = opts;
  const child = track(spawn(node, args, { stdio: [stdinPipe ? 'pipe' : 'ignore', 'pipe', 'inherit'], ...(env ? { env: { PATH: process.env.PATH, ...env } } : {}) }), 'anchor');
  await new Promise((res, rej) => {
    child.stdout.on('data', (d) => String(d).includes('ready') && res());
    child.once('exit', (c) => rej(new Error(`anchor exited ${c}`)));
  });
  return child;
}

/** Resident set size now and at its peak (VmHWM), in MB. */
function rss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number((new RegExp(`${key}:\\s+(\\d+)`).exec(status) || [])[1] || 0);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** CPU time (user + system, or one of them) a process has used so far, in ms (/proc/<pid>/stat, 100 Hz ticks). */
function cpuMs(pid, which = 'both') {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const [user, system] = [Number(fields[11]) * 10, Number(fields[12]) * 10];
  return which === 'user' ? user : which === 'system' ? system : user + system;
}

/**
 * CPU time (user + system, ms) used so far by a process and all its live descendants: PostgreSQL's
 * postmaster and backends under the embedded server's launcher. A backend that exited takes its
 * time with it, so compare phases over long-lived (pooled) connections only.
 */
function treeCpuMs(rootPid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  let total = 0;
  const pending = [rootPid];
  while (pending.length > 0) {
    const pid = pending.pop();
    try {
      total += cpuMs(pid);
    } catch {
      continue;
    }
    pending.push(...(children.get(pid) || []));
  }
  return total;
}

module.exports = { ROOT, REPLICA_NODE, REPLICA_NODE_FLAGS, sleep, freePort, track, tempDir, stopChild, stopAll, ensureApt, startPostgres, startDatabase, startRedis, startReplica, startAnchor, rss, cpuMs, treeCpuMs };
