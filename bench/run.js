'use strict';
/**
 * `npm run bench`: Bulwark against physical anchors measured in the same run (DESIGN.md §9).
 * Starts PostgreSQL and Redis, two production replicas of dist/main.js (throttling limits raised)
 * plus one with throttling off, then drives them from this process with autocannon and
 * socket.io-client, all on 127.0.0.1, each phase bounded in time. Anchors: pgbench TPC-B at the
 * same client count, a bare Fastify hello-world, the same I/O as an account read on bare Fastify
 * (anchors/fastify-read.js), a bare socket.io + redis-adapter fan-out; the first three alternate
 * with the phase they anchor (transfers, /health/live, account reads) in ROUNDS slices.
 * Prints a table and writes bench/results/<UTC timestamp>.json. BENCH_NODE=/path/to/node runs the
 * replicas and anchors on another node binary (e.g. the next LTS) than the bench's own.
 */
const { spawnSync } = require('node:child_process');
const { writeFileSync, mkdirSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const { cpus, totalmem } = require('node:os');
const { join } = require('node:path');
const { randomUUID } = require('node:crypto');
const { Client } = require('pg');
const jwt = require('jsonwebtoken');
const procs = require('./lib/procs');
const http = require('./lib/http-load');
const { connectClients } = require('./lib/fanout');
const { startRedisCluster } = require('./lib/redis-cluster');

const PHASE_SEC = Number(process.env.BENCH_PHASE_SEC || 10);
const CLIENTS = 32;
const SOCKETS = Number(process.env.BENCH_SOCKETS || 1000);
const BIDS_PER_SEC = 20;
// Each ratio's phase and anchor alternate in ROUNDS slices of PHASE_SEC / ROUNDS: on a shared
// machine throughput drifts by tens of percent within minutes, and a ratio of figures taken
// minutes apart would measure the drift. Each side still runs PHASE_SEC in all.
const ROUNDS = Number(process.env.BENCH_ROUNDS || 2);
// Load before each measured phase, not counted: for its first seconds under load V8 is still
// compiling the hot path (about 12 % of a fresh replica's CPU in the first 10 s of reads goes to
// TurboFan's worker threads), and a replica in production serves for hours, not seconds.
const WARMUP_SEC = Number(process.env.BENCH_WARMUP_SEC || 5);
const SECRET = `bench-${randomUUID()}-${randomUUID()}`;
const log = (m) => process.stdout.write(`[bench] ${m}\n`);

async function api(baseUrl, method, path, token, body) {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status} ${text}`);
  return json;
}

async function createUsers(dbUrl, n, roles) {
  const client = new Client({ connectionString: dbUrl });
  await client.connect();
  const users = [];
  for (let i = 0; i < n; i++) {
    const email = `bench-${randomUUID().slice(0, 8)}@example.test`;
    const { rows } = await client.query(
      `INSERT INTO users (email, password_hash, roles, privilege_level, email_verified_at) VALUES ($1, '!', $2, 'BUSINESS', now()) RETURNING id`,
      [email, roles],
    );
    const token = jwt.sign({ sub: rows[0].id, email, roles, lvl: 'BUSINESS', ev: true }, SECRET, {
      algorithm: 'HS256', expiresIn: 3600, issuer: 'bulwark', audience: 'bulwark-api', jwtid: randomUUID(),
    });
    users.push({ id: rows[0].id, token });
  }
  await client.end();
  return users;
}

/** Creates and fills the TPC-B tables (scale 10) in their own database; returns its URL. */
function pgbenchInit(serverUrl) {
  procs.ensureApt('pgbench', 'postgresql-15');
  const u = new URL(serverUrl);
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(u.password) };
  const conn = ['-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username)];
  spawnSync('psql', [...conn, '-d', 'postgres', '-c', 'CREATE DATABASE pgbench'], { env, encoding: 'utf8' });
  const init = spawnSync('pgbench', [...conn, '-i', '-s', '10', '-q', 'pgbench'], { env, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);
  return { env, conn };
}

/**
 * pgbench's built-in TPC-B-like script for `sec` seconds; returns its TPS and records every
 * transaction's latency (from its per-transaction log, `-l`) in `latencies` (http.histogram(), ms,
 * as the transfers' own), so the transfers' tail can be read against the database's in the same run.
 */
function pgbenchRun({ env, conn }, clients, sec, latencies) {
  const dir = procs.tempDir('bulwark-pgbench-log-');
  const run = spawnSync('pgbench', [...conn, '-c', String(clients), '-j', '2', '-T', String(Math.max(1, Math.round(sec))), '-M', 'prepared', '-l', '--log-prefix', join(dir, 'tx'), 'pgbench'], { env, encoding: 'utf8', cwd: dir });
  const m = /tps = ([\d.]+)/.exec(run.stdout);
  if (!m) throw new Error(`pgbench failed: ${run.stderr}${run.stdout}`);
  // One line per transaction: client_id transaction_no latency_us script_no epoch epoch_us.
  let logged = 0;
  for (const file of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const us = Number(line.split(' ')[2]);
      if (!line || !Number.isFinite(us)) continue;
      latencies.recordValue(Math.max(1, Math.round(us / 1000)));
      logged++;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  if (logged === 0) throw new Error('pgbench wrote no transaction log');
  return Number(m[1]);
}

/**
 * User+system CPU of some processes (from /proc) between creation and usPer(), less the spans
 * handed to exclude() or, once include() is called, only those spans: DESIGN §9 cpuUsPerRequest.
 */
function cpuMeter(pids) {
  const ms = () => pids.reduce((n, pid) => n + procs.cpuMs(pid), 0);
  const start = ms();
  let excluded = 0;
  let included;
  return {
    ms,
    exclude: (d) => (excluded += d),
    include: (d) => (included = (included ?? 0) + d),
    usPer: (requests) => Math.round(((included ?? ms() - start - excluded) * 1000) / Math.max(1, requests)),
  };
}

/**
 * A phase alternating with its anchors: warms all loads up, then runs the phase in ROUNDS slices
 * with a slice of each anchor before each. CPU per request: the phase's processes over the whole
 * phase minus what they used during the anchors' slices (idle timers), and each anchor's
 * processes during their own slices only. Returns the phase (as http.runSliced, plus
 * cpuUsPerRequest) and, per anchor ({ load, pids }), its { rps, errors, cpuUsPerRequest }.
 */
async function anchoredPhase(load, pids, anchors) {
  await http.run({ ...load, durationSec: WARMUP_SEC });
  for (const anchor of anchors) await http.run({ ...anchor.load, durationSec: WARMUP_SEC });
  const cpu = cpuMeter(pids);
  const meters = anchors.map((anchor) => ({ anchor, cpu: cpuMeter(anchor.pids), slices: [] }));
  const phase = await http.runSliced({ ...load, durationSec: PHASE_SEC }, ROUNDS, async () => {
    for (const m of meters) {
      const [before, anchorBefore] = [cpu.ms(), m.cpu.ms()];
      m.slices.push(await http.run({ ...m.anchor.load, durationSec: PHASE_SEC / ROUNDS }));
      cpu.exclude(cpu.ms() - before);
      m.cpu.include(m.cpu.ms() - anchorBefore);
    }
  });
  phase.cpuUsPerRequest = cpu.usPer(phase.total);
  const results = meters.map((m) => {
    const total = m.slices.reduce((n, r) => n + r.total, 0);
    const errors = m.slices.reduce((n, r) => n + r.errors, 0);
    return { rps: Math.round(total / PHASE_SEC), errors, cpuUsPerRequest: m.cpu.usPer(total) };
  });
  return { phase, anchors: results };
}

async function bareFanout(redisUrl) {
  const [pa, pb] = [await procs.freePort(), await procs.freePort()];
  const a = await procs.startAnchor([join(__dirname, 'anchors/socketio-node.js'), String(pa), redisUrl, '1', String(BIDS_PER_SEC), String(PHASE_SEC)], { stdinPipe: true });
  const b = await procs.startAnchor([join(__dirname, 'anchors/socketio-node.js'), String(pb), redisUrl, '0', '0', '0']);
  const clients = await connectClients({
    urls: [`http://127.0.0.1:${pa}`, `http://127.0.0.1:${pb}`], count: SOCKETS, path: '/socket.io',
    join: { event: 'join', payload: {} }, event: 'tick', atOf: (p) => p.at, seqOf: (p) => p.seq,
  });
  await procs.sleep(300);
  a.stdin.write('go\n');
  await procs.sleep(PHASE_SEC * 1000 + 1500);
  const stats = clients.stats(BIDS_PER_SEC * PHASE_SEC);
  clients.close();
  await procs.stopChild(a);
  await procs.stopChild(b);
  return stats;
}

async function main() {
  const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  if (spawnSync('test', ['-f', join(procs.ROOT, 'dist/main.js')]).status !== 0) throw new Error('run `npm run build` first');
  log('starting PostgreSQL and Redis');
  const { serverUrl, dbUrl } = await procs.startDatabase();
  const redis = await procs.startRedis();
  // The replicas' runtime (BENCH_NODE may point at another node binary than the bench's own).
  const replicaNode = spawnSync(procs.REPLICA_NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const serverVersion = spawnSync('psql', [serverUrl, '-tAc', 'SHOW server_version'], { encoding: 'utf8' }).stdout.trim();

  log('preparing pgbench TPC-B tables');
  const tpcb = pgbenchInit(serverUrl);
  log('anchor: bare socket.io + redis-adapter fan-out');
  const bare = await bareFanout(redis.url);

  const unlimited = '100000000/60';
  // The replicas log at the default level (info: an access line per request), as users run them.
  const env = {
    NODE_ENV: 'production', DATABASE_URL: dbUrl, REDIS_URL: redis.url, JWT_SECRET: SECRET, ...(process.env.BENCH_LOG_LEVEL ? { LOG_LEVEL: process.env.BENCH_LOG_LEVEL } : {}),
    DB_POOL_SIZE: process.env.BENCH_DB_POOL_SIZE || '10', RATE_LIMIT_DEPOSITS: unlimited, RATE_LIMIT_WITHDRAWALS: unlimited, RATE_LIMIT_TRANSFERS: unlimited,
    RATE_LIMIT_LEAGUES: unlimited, RATE_LIMIT_BIDS: unlimited, RATE_LIMIT_SIGNIN: unlimited, IP_BLOCK_THRESHOLD: unlimited,
    ABUSE_THRESHOLD: unlimited, TRANSFER_LIMITS_BUSINESS: '1000000000.00/1000000000000.00', TRANSFER_LIMITS_BASIC: '1000000000.00/1000000000000.00',
  };
  log('starting two replicas (production mode)');
  // BENCH_CPU_PROF=<dir>: replica A writes a V8 CPU profile there on exit (for `--cpu-prof` analysis).
  const profArgs = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const a = await procs.startReplica(env, profArgs);
  const b = await procs.startReplica(env);
  await procs.sleep(2000);
  const idle = procs.rss(a.pid);
  const urlsAB = (path) => [a.baseUrl + path, b.baseUrl + path];

  log('phase: /health/live, alternating with its anchors: a bare Fastify hello-world, and the probe floor');
  // The probe floor: bare Nest 12 with only what every answer must go through (headers, request
  // context, CORS, four guards, the HTTP metrics), configured as Bulwark does: what the probe
  // costs beyond it is Bulwark's own.
  const [fport, nport] = [await procs.freePort(), await procs.freePort()];
  const fastify = await procs.startAnchor([join(__dirname, 'anchors/fastify-hello.js'), String(fport)]);
  const probeFloor = await procs.startAnchor([join(__dirname, 'anchors/nest-probe.js'), String(nport), 'mandated']);
  const {
    phase: healthLive,
    anchors: [fastifyHello, probeFloorResult],
  } = await anchoredPhase({ urls: [`${a.baseUrl}/health/live`], connections: 50 }, [a.pid], [
    { load: { urls: [`http://127.0.0.1:${fport}/`], connections: 50 }, pids: [fastify.pid] },
    { load: { urls: [`http://127.0.0.1:${nport}/health/live`], connections: 50 }, pids: [probeFloor.pid] },
  ]);
  await Promise.all([procs.stopChild(fastify), procs.stopChild(probeFloor)]);
  if (probeFloorResult.errors > 0) throw new Error(`the probe floor anchor answered ${probeFloorResult.errors} errors`);

  log('seeding accounts');
  const [teller] = await createUsers(dbUrl, 1, ['TELLER']);
  // 32 customers with two accounts each: transfers of one owner serialise on the owner's
  // daily-limit lock by design, so the load is spread over owners as real traffic would be.
  const owners = await createUsers(dbUrl, 32, ['CUSTOMER']);
  const accounts = [];
  for (let i = 0; i < 64; i++) {
    const acc = await api(a.baseUrl, 'POST', '/api/v1/accounts', teller.token, { ownerId: owners[i % owners.length].id });
    await api(b.baseUrl, 'POST', '/api/v1/deposits', teller.token, { accountNumber: acc.accountNumber, amount: '1000000.00', description: 'bench seed' });
    accounts.push(acc.accountNumber);
  }
  const auth = { authorization: `Bearer ${teller.token}` };

  log('phase: authenticated account reads, alternating with its anchor, the same I/O on bare Fastify');
  // Anchor: two bare Fastify processes doing what a read must do (token check, the `ip` limiter's
  // Redis script, the SELECT, the JSON answer) under the same load: the floor a read's CPU is
  // judged against, since loopback round trips cost what this machine makes them cost.
  const floorPorts = [await procs.freePort(), await procs.freePort()];
  const floors = await Promise.all(
    floorPorts.map((port) =>
      procs.startAnchor([join(__dirname, 'anchors/fastify-read.js')], { env: { PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: dbUrl, REDIS_URL: redis.url, JWT_SECRET: SECRET } }),
    ),
  );
  const readLoad = (bases) => ({
    urls: bases.map((u) => `${u}/api/v1/accounts/${accounts[0]}`), connections: 64, headers: auth,
    setupRequest: (req) => ({ ...req, path: `/api/v1/accounts/${accounts[Math.floor(Math.random() * accounts.length)]}` }),
  });
  const {
    phase: accountReads,
    anchors: [fastifyRead],
  } = await anchoredPhase(readLoad([a.baseUrl, b.baseUrl]), [a.pid, b.pid], [
    { load: readLoad(floorPorts.map((port) => `http://127.0.0.1:${port}`)), pids: floors.map((f) => f.pid) },
  ]);
  await Promise.all(floors.map((f) => procs.stopChild(f)));
  // A floor that answered errors did less work than a read: no ratio against it.
  if (fastifyRead.errors > 0) throw new Error(`the read floor anchor answered ${fastifyRead.errors} errors`);

  log('phase: transfers, alternating with its anchor, pgbench TPC-B');
  const pgbenchSlices = [];
  const pgbenchLatencies = http.histogram();
  const transferLoad = {
    urls: urlsAB('/api/v1/transfers'), connections: CLIENTS, method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    setupRequest: (req) => {
      const i = Math.floor(Math.random() * accounts.length);
      const j = (i + 1 + Math.floor(Math.random() * (accounts.length - 1))) % accounts.length;
      return { ...req, path: '/api/v1/transfers', body: JSON.stringify({ fromAccountNumber: accounts[i], toAccountNumber: accounts[j], amount: '1.00', description: 'bench' }) };
    },
  };
  // Warm-up transfers move money between the same accounts: the customer total stays the same.
  await http.run({ ...transferLoad, durationSec: WARMUP_SEC });
  await procs.sleep(500);
  const transfers = await http.runSliced({ ...transferLoad, durationSec: PHASE_SEC }, ROUNDS, async () => {
    // Let the previous slice's in-flight transfers drain before pgbench takes the database.
    await procs.sleep(500);
    pgbenchSlices.push(pgbenchRun(tpcb, CLIENTS, PHASE_SEC / ROUNDS, pgbenchLatencies));
  });
  const pgbenchTps = Math.round(pgbenchSlices.reduce((n, t) => n + t, 0) / pgbenchSlices.length);
  const pgbenchP99Ms = pgbenchLatencies.getValueAtPercentile(99);
  // In-flight transfers cut off by the end of the phase may still commit: let them land, then
  // check the books in one snapshot (customer total unchanged, nothing negative, every journal
  // entry balanced, every balance equal to its postings).
  await procs.sleep(2000);
  const books = new Client({ connectionString: dbUrl });
  await books.connect();
  const [inv] = (
    await books.query(`
      SELECT (SELECT sum(balance) FROM accounts WHERE kind = 'CUSTOMER')::text AS customer_total,
             (SELECT count(*) FROM accounts WHERE kind = 'CUSTOMER' AND balance < 0)::int AS negative,
             (SELECT sum(balance) FROM accounts)::text AS all_total,
             (SELECT count(*) FROM (SELECT entry_id FROM postings GROUP BY entry_id HAVING sum(amount) <> 0) x)::int AS unbalanced_entries,
             (SELECT count(*) FROM accounts a WHERE a.balance <> (SELECT coalesce(sum(amount), 0) FROM postings p WHERE p.account_number = a.account_number))::int AS drifted_accounts`)
  ).rows;
  await books.end();
  const booksBalanced =
    BigInt(inv.customer_total) === BigInt(accounts.length) * 100000000n && inv.negative === 0 && BigInt(inv.all_total) === 0n && inv.unbalanced_entries === 0 && inv.drifted_accounts === 0;
  if (!booksBalanced) log(`books check failed: ${JSON.stringify(inv)}`);

  log('phase: throttling on vs off (same route, one replica each, warmed up, alternating slices)');
  const c = await procs.startReplica({ ...env, ENABLE_RATE_LIMITING: 'false' });
  const route = `/api/v1/accounts/${accounts[1]}`;
  const [throttleOn, throttleOff] = await http.runPaired(
    { urls: [a.baseUrl + route], connections: 50, durationSec: PHASE_SEC, headers: auth },
    { urls: [c.baseUrl + route], connections: 50, durationSec: PHASE_SEC, headers: auth },
    ROUNDS,
  );
  await procs.stopChild(c.child);

  log('phase: bid fan-out');
  let bidFanout;
  try {
    bidFanout = await appFanout(dbUrl, a, b);
  } catch (err) {
    // A failed phase is reported, not hidden: its figures stay null and the run exits non-zero.
    log(`bid fan-out phase failed: ${err.message}`);
    bidFanout = { expected: null, delivered: null, lost: null, p50Ms: null, p99Ms: null, error: String(err.message) };
    process.exitCode = 1;
  }

  const peak = Math.max(procs.rss(a.pid).peakMb, procs.rss(b.pid).peakMb);
  await Promise.all([procs.stopChild(a.child), procs.stopChild(b.child)]);

  // The same throttling and fan-out phases on a 3+3 Redis Cluster (DESIGN §9 `phasesCluster`),
  // so Cluster's cost (slot routing, sharded pub/sub) is measured, not assumed.
  log('phasesCluster: starting a 3-primary/3-replica Redis Cluster and two replicas on it');
  const cluster = await startRedisCluster();
  const clusterEnv = { ...env, REDIS_URL: '', REDIS_CLUSTER_NODES: cluster.nodes };
  const ca = await procs.startReplica(clusterEnv);
  const cb = await procs.startReplica(clusterEnv);
  const cc = await procs.startReplica({ ...clusterEnv, ENABLE_RATE_LIMITING: 'false' });
  log('phasesCluster: throttling on vs off (warmed up, alternating slices)');
  const [clusterThrottleOn, clusterThrottleOff] = await http.runPaired(
    { urls: [ca.baseUrl + route], connections: 50, durationSec: PHASE_SEC, headers: auth },
    { urls: [cc.baseUrl + route], connections: 50, durationSec: PHASE_SEC, headers: auth },
    ROUNDS,
  );
  await procs.stopChild(cc.child);
  log('phasesCluster: bid fan-out');
  let clusterFanout;
  try {
    clusterFanout = await appFanout(dbUrl, ca, cb);
  } catch (err) {
    log(`cluster bid fan-out phase failed: ${err.message}`);
    clusterFanout = { expected: null, delivered: null, lost: null, p50Ms: null, p99Ms: null, error: String(err.message) };
    process.exitCode = 1;
  }
  const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
  const results = {
    startedAt,
    machine: { cpus: cpus().length, cpuModel: cpus()[0].model, memGiB: Math.round(totalmem() / 2 ** 30), node: replicaNode, postgres: serverVersion },
    anchors: { pgbenchTps, pgbenchClients: CLIENTS, pgbenchP50Ms: pgbenchLatencies.getValueAtPercentile(50), pgbenchP99Ms, fastifyHelloRps: fastifyHello.rps, bareSocketioP99Ms: bare.p99Ms, fastifyHelloCpuUsPerRequest: fastifyHello.cpuUsPerRequest, fastifyReadRps: fastifyRead.rps, fastifyReadCpuUsPerRequest: fastifyRead.cpuUsPerRequest, probeFloorRps: probeFloorResult.rps, probeFloorCpuUsPerRequest: probeFloorResult.cpuUsPerRequest },
    phases: {
      transfers: { clients: CLIENTS, rps: transfers.rps, p50Ms: transfers.p50Ms, p95Ms: transfers.p95Ms, p99Ms: transfers.p99Ms, errors: transfers.errors, booksBalanced },
      accountReads: { rps: accountReads.rps, p50Ms: accountReads.p50Ms, p95Ms: accountReads.p95Ms, p99Ms: accountReads.p99Ms, errors: accountReads.errors, cpuUsPerRequest: accountReads.cpuUsPerRequest },
      healthLive: { rps: healthLive.rps, p99Ms: healthLive.p99Ms, errors: healthLive.errors, cpuUsPerRequest: healthLive.cpuUsPerRequest },
      throttleOff: { rps: throttleOff.rps, errors: throttleOff.errors },
      throttleOn: { rps: throttleOn.rps, errors: throttleOn.errors },
      bidFanout: { sockets: SOCKETS, replicas: 2, bidsPerSec: BIDS_PER_SEC, expected: bidFanout.expected, delivered: bidFanout.delivered, lost: bidFanout.lost, p50Ms: bidFanout.p50Ms, p99Ms: bidFanout.p99Ms, ...(bidFanout.error ? { error: bidFanout.error } : {}) },
    },
    phasesCluster: {
      redis: { primaries: 3, replicas: 3, pubsub: 'sharded' },
      throttleOff: { rps: clusterThrottleOff.rps, errors: clusterThrottleOff.errors },
      throttleOn: { rps: clusterThrottleOn.rps, errors: clusterThrottleOn.errors },
      bidFanout: { sockets: SOCKETS, replicas: 2, bidsPerSec: BIDS_PER_SEC, expected: clusterFanout.expected, delivered: clusterFanout.delivered, lost: clusterFanout.lost, p50Ms: clusterFanout.p50Ms, p99Ms: clusterFanout.p99Ms, ...(clusterFanout.error ? { error: clusterFanout.error } : {}) },
      ratios: {
        throttleOnVsOff: round(clusterThrottleOn.rps / clusterThrottleOff.rps),
        fanoutP99VsBare: clusterFanout.p99Ms === null ? null : round(clusterFanout.p99Ms / Math.max(1, bare.p99Ms)),
        throttleOnVsStandalone: round(clusterThrottleOn.rps / throttleOn.rps),
        fanoutP99VsStandalone: clusterFanout.p99Ms === null || bidFanout.p99Ms === null ? null : round(clusterFanout.p99Ms / Math.max(1, bidFanout.p99Ms)),
      },
    },
    process: { coldStartMs: Math.round(a.coldStartMs), idleRssMb: round(idle.rssMb, 1), peakRssMb: round(peak, 1) },
    ratios: {
      transfersVsPgbench: round(transfers.rps / pgbenchTps),
      transfersP99VsPgbench: round(transfers.p99Ms / Math.max(1, pgbenchP99Ms)),
      healthLiveVsFastify: round(healthLive.rps / fastifyHello.rps),
      throttleOnVsOff: round(throttleOn.rps / throttleOff.rps),
      fanoutP99VsBare: bidFanout.p99Ms === null ? null : round(bidFanout.p99Ms / Math.max(1, bare.p99Ms)),
      healthLiveCpuVsFastify: round(healthLive.cpuUsPerRequest / fastifyHello.cpuUsPerRequest),
      probeFloorCpuVsFastify: round(probeFloorResult.cpuUsPerRequest / fastifyHello.cpuUsPerRequest),
      healthLiveCpuVsProbeFloor: round(healthLive.cpuUsPerRequest / probeFloorResult.cpuUsPerRequest),
      accountReadsVsFloor: round(accountReads.rps / fastifyRead.rps),
      accountReadCpuVsFloor: round(accountReads.cpuUsPerRequest / fastifyRead.cpuUsPerRequest),
    },
    extra: { bareFanout: bare, bidFanoutDuplicates: bidFanout.duplicates, bidsAccepted: bidFanout.bidsAccepted, replicaB: { coldStartMs: Math.round(b.coldStartMs) } },
  };
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  const file = join(__dirname, 'results', `${startedAt.replace(/:/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
  log(`results written to ${file}`);
}

async function appFanout(dbUrl, a, b) {
  const viewers = await createUsers(dbUrl, 50, ['CUSTOMER']);
  const [owner, bidder1, bidder2] = await createUsers(dbUrl, 3, ['CUSTOMER']);
  const league = await api(a.baseUrl, 'POST', '/api/v1/leagues', owner.token, { name: 'bench', sport: 'football', budget: '100000000.00', maxParticipants: 100 });
  for (const u of [...viewers, bidder1, bidder2]) await api(b.baseUrl, 'POST', `/api/v1/leagues/${league.id}/join`, u.token, { inviteCode: league.inviteCode });
  const auction = await api(a.baseUrl, 'POST', `/api/v1/leagues/${league.id}/auctions`, owner.token, { lot: 'bench lot', startingPrice: '1.00', minIncrement: '1.00', durationSeconds: 3600, antiSnipeSeconds: 0 });
  await api(a.baseUrl, 'POST', `/api/v1/auctions/${auction.id}/start`, owner.token);
  const clients = await connectClients({
    urls: [a.baseUrl, b.baseUrl], count: SOCKETS, path: '/api/socket.io', tokenFor: (i) => viewers[i % viewers.length].token,
    join: { event: 'auction:join', payload: { auctionId: auction.id } }, event: 'bid_update',
    atOf: (p) => (typeof p.at === 'number' ? p.at : Date.parse(p.at)), seqOf: (p) => p.seq,
  });
  const bidders = await connectClients({
    urls: [a.baseUrl, b.baseUrl], count: 2, path: '/api/socket.io', tokenFor: (i) => [bidder1, bidder2][i].token,
    join: { event: 'auction:join', payload: { auctionId: auction.id } }, event: 'noop', atOf: () => 0, seqOf: () => 0,
  });
  await procs.sleep(500);
  let accepted = 0;
  let amount = 1;
  const total = BIDS_PER_SEC * PHASE_SEC;
  for (let i = 0; i < total; i++) {
    const socket = bidders.sockets[i % 2];
    socket.emit('bid:place', { auctionId: auction.id, amount: `${amount++}.00` }, (ack) => {
      if (ack && ack.ok) accepted++;
    });
    await procs.sleep(1000 / BIDS_PER_SEC);
  }
  await procs.sleep(2000);
  const stats = clients.stats(accepted);
  clients.close();
  bidders.close();
  return { ...stats, bidsAccepted: accepted };
}

function printTable(r) {
  const rows = [
    ['anchor: pgbench TPC-B tps (32 clients)', `${r.anchors.pgbenchTps}  p50/p99 ${r.anchors.pgbenchP50Ms}/${r.anchors.pgbenchP99Ms} ms`],
    ['anchor: bare Fastify req/s', r.anchors.fastifyHelloRps],
    ['anchor: bare Fastify CPU µs/request', r.anchors.fastifyHelloCpuUsPerRequest],
    ['anchor: probe floor (Nest + required pieces) CPU µs/request', `${r.anchors.probeFloorCpuUsPerRequest}  (${r.ratios.probeFloorCpuVsFastify} × Fastify)`],
    ['anchor: read floor (bare Fastify, same I/O) req/s', r.anchors.fastifyReadRps],
    ['anchor: read floor CPU µs/request', r.anchors.fastifyReadCpuUsPerRequest],
    ['anchor: bare socket.io fan-out p99 ms', r.anchors.bareSocketioP99Ms],
    ['transfers/s (32 clients)', `${r.phases.transfers.rps}  p50/p95/p99 ${r.phases.transfers.p50Ms}/${r.phases.transfers.p95Ms}/${r.phases.transfers.p99Ms} ms  errors ${r.phases.transfers.errors}  books ${r.phases.transfers.booksBalanced ? 'balanced' : 'NOT BALANCED'}`],
    ['account reads/s', `${r.phases.accountReads.rps}  p50/p95/p99 ${r.phases.accountReads.p50Ms}/${r.phases.accountReads.p95Ms}/${r.phases.accountReads.p99Ms} ms  errors ${r.phases.accountReads.errors}  CPU ${r.phases.accountReads.cpuUsPerRequest} µs/req`],
    ['/health/live req/s', `${r.phases.healthLive.rps}  p99 ${r.phases.healthLive.p99Ms} ms  errors ${r.phases.healthLive.errors}  CPU ${r.phases.healthLive.cpuUsPerRequest} µs/req`],
    ['throttling off / on req/s', `${r.phases.throttleOff.rps} / ${r.phases.throttleOn.rps}  errors ${r.phases.throttleOff.errors}/${r.phases.throttleOn.errors}`],
    ['bid fan-out (1000 sockets, 2 replicas)', `p50/p99 ${r.phases.bidFanout.p50Ms}/${r.phases.bidFanout.p99Ms} ms  delivered ${r.phases.bidFanout.delivered}/${r.phases.bidFanout.expected}  lost ${r.phases.bidFanout.lost}`],
    ['cold start / idle RSS / peak RSS', `${r.process.coldStartMs} ms / ${r.process.idleRssMb} MB / ${r.process.peakRssMb} MB`],
    ['ratio transfers ÷ pgbench: tps, p99', `${r.ratios.transfersVsPgbench}, ${r.ratios.transfersP99VsPgbench}`],
    ['ratio /health/live ÷ Fastify', r.ratios.healthLiveVsFastify],
    ['ratio /health/live ÷ Fastify, CPU/request', r.ratios.healthLiveCpuVsFastify],
    ['ratio /health/live ÷ probe floor, CPU/request', r.ratios.healthLiveCpuVsProbeFloor],
    ['ratio account reads ÷ read floor: req/s, CPU/request', `${r.ratios.accountReadsVsFloor}, ${r.ratios.accountReadCpuVsFloor}`],
    ['ratio throttled ÷ unthrottled', r.ratios.throttleOnVsOff],
    ['cluster: throttling off / on req/s', `${r.phasesCluster.throttleOff.rps} / ${r.phasesCluster.throttleOn.rps}  errors ${r.phasesCluster.throttleOff.errors}/${r.phasesCluster.throttleOn.errors}`],
    ['cluster: bid fan-out', `p50/p99 ${r.phasesCluster.bidFanout.p50Ms}/${r.phasesCluster.bidFanout.p99Ms} ms  delivered ${r.phasesCluster.bidFanout.delivered}/${r.phasesCluster.bidFanout.expected}  lost ${r.phasesCluster.bidFanout.lost}`],
    ['cluster: ratio throttled ÷ unthrottled', r.phasesCluster.ratios.throttleOnVsOff],
    ['cluster ÷ standalone: throttled req/s, fan-out p99', `${r.phasesCluster.ratios.throttleOnVsStandalone}, ${r.phasesCluster.ratios.fanoutP99VsStandalone}`],
    ['ratio fan-out p99 ÷ bare p99', r.ratios.fanoutP99VsBare],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\nBulwark benchmark — ${r.startedAt} — ${r.machine.cpus}× ${r.machine.cpuModel}, ${r.machine.memGiB} GiB, Node ${r.machine.node}, PostgreSQL ${r.machine.postgres}\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v}\n`);
}

main()
  .catch((err) => {
    process.stderr.write(`[bench] failed: ${err.stack || err}\n`);
    process.exitCode = 1;
  })
  .finally(() => procs.stopAll());
