'use strict';
/**
 * A/B CPU per request, paired: the variants run SIDE BY SIDE (one replica each, same PostgreSQL,
 * Redis, load shape and seconds), so a shared machine's drift hits them alike. Sequential runs of
 * identical code here differed by up to 70 %; paired ones agree within a few per cent. Each round
 * starts fresh replicas and drives every variant with its own autocannon (16 connections) at once,
 * at the same fixed rate (BENCH_AB_RATE, default 1,500 req/s for health and 600 for reads), after
 * BENCH_WARMUP_SEC (8) of unmeasured load; BENCH_AB_IDLE_SEC (0: off) takes each process's idle CPU out.
 *   node bench/ab.js <reads|health> <rounds> '<variants>'
 * variants: {"before": {"main": "dist-before/main.js"}, "after": {}}; per variant: main (entry
 * point relative to the repo, default dist/main.js), node (binary), env (replica settings); or,
 * for `health`, an anchor instead of a replica: anchor (file under bench/), args, path (what to
 * load, default /health/live), e.g. {"fastify": {"anchor": "anchors/fastify-hello.js", "path": "/"},
 * "nest": {"anchor": "anchors/nest-probe.js", "args": ["mandated"]}, "bulwark": {}}.
 * Prints per round and the median of each variant's CPU per request and of its per-round ratio to
 * the first variant.
 */
const { randomUUID } = require('node:crypto');
const { Client } = require('pg');
const jwt = require('jsonwebtoken');
const procs = require('./lib/procs');
const { execFile } = require('node:child_process');
const { join } = require('node:path');

/** Drives one load in a child process: two autocannons in one process share its event loop. */
function load(opts) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(__dirname, 'lib/load-child.js'), JSON.stringify(opts)], { timeout: 120_000 }, (err, stdout) =>
      err ? reject(err) : resolve(JSON.parse(stdout)),
    );
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A variant that is an anchor (`bench/anchors/<file> <port> ...args`) instead of a replica. */
async function startAnchorVariant(v) {
  const port = await procs.freePort();
  const child = await procs.startAnchor([join(__dirname, v.anchor), String(port), ...(v.args || [])], { node: v.node });
  return { baseUrl: `http://127.0.0.1:${port}`, path: v.path, child, pid: child.pid };
}

async function main() {
  const [kind = 'reads', rounds = '3', json = '{"current":{}}'] = process.argv.slice(2);
  const variants = Object.entries(JSON.parse(json));
  const seconds = Number(process.env.BENCH_PROFILE_SEC || 5);
  const warmupSec = Number(process.env.BENCH_WARMUP_SEC || 8);
  const idleSec = Number(process.env.BENCH_AB_IDLE_SEC || 0);
  // CPU per request falls as a replica gets busier (more work per wake-up): every variant gets the
  // same fixed request rate, one all of them sustain, so they are compared at the same throughput.
  const rate = Number(process.env.BENCH_AB_RATE || (kind === 'health' ? 1500 : 600));
  const { dbUrl } = await procs.startDatabase();
  const redis = await procs.startRedis();
  const secret = `ab-${randomUUID()}-${randomUUID()}`;
  const unlimited = '100000000/60';
  const c = new Client({ connectionString: dbUrl });
  await c.connect();
  const { rows } = await c.query(`INSERT INTO users (email, password_hash, roles, privilege_level, email_verified_at) VALUES ('ab@x.test', '!', '{TELLER}', 'BASIC', now()) RETURNING id`);
  await c.end();
  const token = jwt.sign({ sub: rows[0].id, email: 'ab@x.test', roles: ['TELLER'], lvl: 'BASIC', ev: true }, secret, { algorithm: 'HS256', expiresIn: 3600, issuer: 'bulwark', audience: 'bulwark-api' });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const env = { NODE_ENV: 'production', DATABASE_URL: dbUrl, REDIS_URL: redis.url, JWT_SECRET: secret, IP_BLOCK_THRESHOLD: unlimited };
  let accountNumber;
  const results = Object.fromEntries(variants.map(([name]) => [name, []]));
  for (let round = 0; round < Number(rounds); round++) {
    // Start order (and so ports, process ids, which load child starts first) alternates per
    // round: a fixed order gave the second variant of an A/A pair up to 10 % more CPU.
    const ordered = round % 2 === 0 ? variants : [...variants].reverse();
    const replicas = [];
    for (const [name, v] of ordered) replicas.push({ name, ...(await (v.anchor ? startAnchorVariant(v) : procs.startReplica({ ...env, ...(v.env || {}) }, [], v))) });
    if (!accountNumber && kind !== 'health') {
      const res = await fetch(`${replicas[0].baseUrl}/api/v1/accounts`, { method: 'POST', headers, body: JSON.stringify({ ownerId: rows[0].id }) });
      accountNumber = (await res.json()).accountNumber;
      if (!accountNumber) throw new Error(`could not open an account: ${res.status}`);
    }
    const path = kind === 'health' ? '/health/live' : `/api/v1/accounts/${accountNumber}`;
    const urlOf = (r) => `${r.baseUrl}${r.path ?? path}`;
    // Warm-up (pools, and the JIT: V8 compiles the hot path for the first seconds under load),
    // then the measured slice, all variants at once.
    await Promise.all(replicas.map((r) => load({ urls: [urlOf(r)], headers, connections: 16, durationSec: warmupSec })));
    // BENCH_AB_IDLE_SEC: each process's CPU while idle (a replica's background timers; anchors
    // have none) is measured after the warm-up and taken out of its measured slice, as
    // `npm run bench` does, so that a replica compares fairly with an anchor.
    const idleMsPerSec = replicas.map(() => 0);
    if (idleSec > 0) {
      const idleBefore = replicas.map((r) => procs.cpuMs(r.pid));
      await procs.sleep(idleSec * 1000);
      replicas.forEach((r, i) => (idleMsPerSec[i] = (procs.cpuMs(r.pid) - idleBefore[i]) / idleSec));
    }
    const before = replicas.map((r) => procs.cpuMs(r.pid));
    const started = Date.now();
    const runs = await Promise.all(replicas.map((r) => load({ urls: [urlOf(r)], headers, connections: 16, durationSec: seconds, overallRate: rate })));
    const line = [];
    replicas.forEach((r, i) => {
      if (runs[i].errors > 0) throw new Error(`${r.name}: ${runs[i].errors} errors`);
      const idleMs = (idleMsPerSec[i] * (Date.now() - started)) / 1000;
      const cpuUs = Math.round(((procs.cpuMs(r.pid) - before[i] - idleMs) * 1000) / runs[i].total);
      results[r.name].push(cpuUs);
      line.push(`${r.name} ${cpuUs} µs (${runs[i].rps} req/s)`);
    });
    process.stdout.write(`round ${round + 1}: ${line.join(', ')}\n`);
    await Promise.all(replicas.map((r) => procs.stopChild(r.child, 'SIGINT')));
  }
  // The ratio is taken per round (both figures from the same seconds), then its median.
  const [baseName] = variants[0];
  for (const [name] of variants) {
    const ratios = results[name].map((us, i) => us / results[baseName][i]);
    process.stdout.write(
      `${name}: median ${median(results[name])} µs/request over ${results[name].length} rounds, ratio to ${baseName} ${median(ratios).toFixed(3)} (per round: ${ratios.map((x) => x.toFixed(2)).join(' ')})\n`,
    );
  }
}

main()
  .catch((e) => {
    process.stderr.write(`${e.stack}\n`);
    process.exitCode = 1;
  })
  .finally(() => procs.stopAll());
