'use strict';
/**
 * Profiles one replica under one HTTP load (for `--cpu-prof` analysis of a hot path):
 *   node bench/profile.js <reads|health|transfers> <profileDir>
 * (BENCH_NO_PROF=1: no profile, just req/s and the replica's CPU time per request;
 *  BENCH_ENV='{"DB_POOL_SIZE":"4"}': replica settings; BENCH_NODE_ARGS: extra node flags;
 *  BENCH_NODE=/path/to/node: the replica's node binary; BENCH_MAIN=dist-exp/main.js: its entry point
 *  (a patched copy of dist for A/B runs); BENCH_PROFILE_SEC: load duration, 10 s; BENCH_WARMUP_SEC: the same
 *  load first, not measured, 10 s: V8 is still compiling the hot path for the first seconds.)
 * Starts PostgreSQL, Redis and one production replica with a CPU profile, drives the load.
 */
const { randomUUID } = require('node:crypto');
const { Client } = require('pg');
const jwt = require('jsonwebtoken');
const procs = require('./lib/procs');
const http = require('./lib/http-load');

async function main() {
  const [kind = 'reads', dir = '/tmp/bulwark-prof'] = process.argv.slice(2);
  const { dbUrl, pid: dbPid } = await procs.startDatabase();
  const redis = await procs.startRedis();
  const secret = `prof-${randomUUID()}-${randomUUID()}`;
  const unlimited = '100000000/60';
  const a = await procs.startReplica(
    { NODE_ENV: 'production', DATABASE_URL: dbUrl, REDIS_URL: redis.url, JWT_SECRET: secret, ...(process.env.BENCH_ENV ? JSON.parse(process.env.BENCH_ENV) : {}), IP_BLOCK_THRESHOLD: unlimited, RATE_LIMIT_TRANSFERS: unlimited, TRANSFER_LIMITS_BASIC: '1000000000.00/1000000000000.00' },
    [...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []), ...(process.env.BENCH_NO_PROF ? [] : ['--cpu-prof', '--cpu-prof-dir', dir])],
  );
  const c = new Client({ connectionString: dbUrl });
  await c.connect();
  const { rows } = await c.query(`INSERT INTO users (email, password_hash, roles, privilege_level, email_verified_at) VALUES ('p@x.test', '!', '{TELLER}', 'BASIC', now()) RETURNING id`);
  // Transfers of one owner serialise on the owner's allowance lock (by design): spread the load
  // over 8 customers with two accounts each, as the bench does.
  const owners = (
    await c.query(
      `INSERT INTO users (email, password_hash, roles, privilege_level, email_verified_at)
       SELECT 'o' || g || '@x.test', '!', '{CUSTOMER}', 'BASIC', now() FROM generate_series(1, 8) g RETURNING id`,
    )
  ).rows.map((r) => r.id);
  await c.end();
  const token = jwt.sign({ sub: rows[0].id, email: 'p@x.test', roles: ['TELLER'], lvl: 'BASIC', ev: true }, secret, { algorithm: 'HS256', expiresIn: 3600, issuer: 'bulwark', audience: 'bulwark-api' });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const post = async (path, body) => (await fetch(`${a.baseUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })).json();
  const accounts = [];
  for (let i = 0; i < 16; i++) {
    const { accountNumber } = await post('/api/v1/accounts', { ownerId: owners[i % owners.length] });
    await post('/api/v1/deposits', { accountNumber, amount: '1000000.00', description: 'seed' });
    accounts.push(accountNumber);
  }
  const pick = () => {
    const i = Math.floor(Math.random() * accounts.length);
    return [accounts[i], accounts[(i + 1 + Math.floor(Math.random() * (accounts.length - 1))) % accounts.length]];
  };
  const opts =
    kind === 'health'
      ? { urls: [`${a.baseUrl}/health/live`] }
      : kind === 'transfers'
        ? {
            urls: [`${a.baseUrl}/api/v1/transfers`],
            method: 'POST',
            headers,
            setupRequest: (r) => {
              const [from, to] = pick();
              return { ...r, body: JSON.stringify({ fromAccountNumber: from, toAccountNumber: to, amount: '0.01', description: 'p' }) };
            },
          }
        : { urls: [`${a.baseUrl}/api/v1/accounts/${accounts[0]}`], headers };
  const warmupSec = Number(process.env.BENCH_WARMUP_SEC ?? 10);
  process.stdout.write(`[profile] warming up ${warmupSec} s (replica pid ${a.pid}, ${procs.REPLICA_NODE})\n`);
  if (warmupSec > 0) await http.run({ connections: 32, durationSec: warmupSec, ...opts });
  process.stdout.write(`[profile] driving ${kind} load\n`);
  const [user0, system0] = [procs.cpuMs(a.pid, 'user'), procs.cpuMs(a.pid, 'system')];
  const [db0, redis0] = [procs.treeCpuMs(dbPid), procs.cpuMs(redis.child.pid)];
  const res = await http.run({ connections: 32, durationSec: Number(process.env.BENCH_PROFILE_SEC || 10), ...opts });
  // CPU the replica used per request (user + system): steadier than req/s on a shared machine.
  const perRequest = (ms) => Math.round((ms * 1000) / res.total);
  const cpuUs = { user: perRequest(procs.cpuMs(a.pid, 'user') - user0), system: perRequest(procs.cpuMs(a.pid, 'system') - system0) };
  // What the request costs PostgreSQL (postmaster and backends) and Redis, besides the replica.
  cpuUs.postgres = perRequest(procs.treeCpuMs(dbPid) - db0);
  cpuUs.redis = perRequest(procs.cpuMs(redis.child.pid) - redis0);
  // Resident memory after the load and at its peak: a heap setting trades CPU for memory.
  process.stdout.write(`${kind}: ${JSON.stringify({ ...res, cpuUsPerRequest: cpuUs, memory: procs.rss(a.pid) })}\n`);
}

main()
  .catch((e) => {
    process.stderr.write(`${e.stack}\n`);
    process.exitCode = 1;
  })
  .finally(() => procs.stopAll());
