'use strict';
/**
 * A/B CPU per request: alternates `bench/profile.js <kind>` (no profile) between variants and
 * prints each variant's median replica CPU per request. On a shared machine only figures taken in
 * the same run, alternating, are comparable (docs/operations.md "Performance notes").
 *   node bench/ab.js <reads|health|transfers> <rounds> '<json variants>'
 * variants: {"name": {"BENCH_MAIN": "dist-exp/main.js", "BENCH_ENV": "{...}", "BENCH_NODE": "..."}, ...}
 * e.g. node bench/ab.js reads 5 '{"before":{},"after":{"BENCH_MAIN":"dist-exp/main.js"}}'
 */
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const [kind = 'reads', rounds = '3', json = '{"current":{}}'] = process.argv.slice(2);
const variants = JSON.parse(json);
const results = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (let round = 0; round < Number(rounds); round++) {
  for (const [name, env] of Object.entries(variants)) {
    const run = spawnSync(process.execPath, [join(__dirname, 'profile.js'), kind], {
      env: { ...process.env, BENCH_NO_PROF: '1', BENCH_PROFILE_SEC: process.env.BENCH_PROFILE_SEC || '5', ...env },
      encoding: 'utf8',
      timeout: 180_000,
    });
    const line = (run.stdout || '').split('\n').find((l) => l.startsWith(`${kind}: `));
    if (!line) {
      process.stderr.write(`${name}: no result\n${run.stdout}\n${run.stderr}\n`);
      continue;
    }
    const r = JSON.parse(line.slice(kind.length + 2));
    const cpu = r.cpuUsPerRequest.user + r.cpuUsPerRequest.system;
    results[name].push({ cpu, user: r.cpuUsPerRequest.user, system: r.cpuUsPerRequest.system, rps: r.rps });
    process.stdout.write(`round ${round + 1} ${name}: ${cpu} µs/request (user ${r.cpuUsPerRequest.user}, system ${r.cpuUsPerRequest.system}), ${r.rps} req/s\n`);
  }
}
for (const [name, rs] of Object.entries(results)) {
  if (!rs.length) continue;
  process.stdout.write(
    `${name}: median ${median(rs.map((r) => r.cpu))} µs/request (user ${median(rs.map((r) => r.user))}, system ${median(rs.map((r) => r.system))}), ${median(rs.map((r) => r.rps))} req/s over ${rs.length} runs\n`,
  );
}
