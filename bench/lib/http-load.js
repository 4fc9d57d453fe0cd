'use strict';
/** autocannon runs with an exact latency histogram (p50/p95/p99 in ms) and an error count. */
const autocannon = require('autocannon');
const hdr = require('hdr-histogram-js');

function histogram() {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000, numberOfSignificantValueDigits: 3 });
}

/**
 * Runs autocannon; counts non-2xx and transport errors; returns rps and exact percentiles.
 * `latencies` (from histogram()) lets several runs of one phase share one histogram.
 */
function run(opts) {
  const { urls, connections, durationSec, method = 'GET', headers = {}, setupRequest, overallRate, latencies = histogram() } = opts;
  return new Promise((resolve, reject) => {
    let non2xx = 0;
    const instance = autocannon(
      {
        url: urls,
        connections,
        duration: durationSec,
        method,
        headers,
        histograms: { latencies },
        ...(overallRate ? { overallRate } : {}), // a fixed request rate (open loop) instead of as fast as possible
        requests: setupRequest ? [{ method, setupRequest }] : undefined,
      },
      (err, result) => {
        if (err) return reject(err);
        const completed = result.requests.total;
        resolve({
          rps: Math.round(completed / durationSec),
          p50Ms: latencies.getValueAtPercentile(50),
          p95Ms: latencies.getValueAtPercentile(95),
          p99Ms: latencies.getValueAtPercentile(99),
          errors: result.errors + result.timeouts + non2xx,
          total: completed,
        });
      },
    );
    instance.on('response', (_client, statusCode) => {
      if (statusCode < 200 || statusCode >= 300) non2xx++;
    });
  });
}

/**
 * Runs a phase in `rounds` slices of durationSec / rounds, calling `between()` before each slice
 * (e.g. to run its anchor), so slow drifts of a shared machine hit phase and anchor alike.
 * Returns the same figures as run() over all slices.
 */
async function runSliced(opts, rounds, between) {
  const latencies = histogram();
  const sliceSec = opts.durationSec / rounds;
  let total = 0;
  let errors = 0;
  for (let i = 0; i < rounds; i++) {
    await between(i);
    const r = await run({ ...opts, durationSec: sliceSec, latencies });
    total += r.total;
    errors += r.errors;
  }
  return {
    rps: Math.round(total / opts.durationSec),
    p50Ms: latencies.getValueAtPercentile(50),
    p95Ms: latencies.getValueAtPercentile(95),
    p99Ms: latencies.getValueAtPercentile(99),
    errors,
    total,
  };
}

/**
 * Compares two loads fairly: a short warm-up of each (JIT, connection pools, a fresh Redis
 * Cluster still syncing its replicas), then `rounds` slices each, alternating which goes first
 * (A B, B A, ...), so neither gets the machine's quiet or busy minutes. Returns [a, b] as run().
 */
async function runPaired(optsA, optsB, rounds, warmupSec = 2) {
  await run({ ...optsA, durationSec: warmupSec });
  await run({ ...optsB, durationSec: warmupSec });
  const sliceSec = optsA.durationSec / rounds;
  const acc = [optsA, optsB].map(() => ({ latencies: histogram(), total: 0, errors: 0 }));
  for (let i = 0; i < rounds; i++) {
    for (const k of i % 2 === 0 ? [0, 1] : [1, 0]) {
      const r = await run({ ...[optsA, optsB][k], durationSec: sliceSec, latencies: acc[k].latencies });
      acc[k].total += r.total;
      acc[k].errors += r.errors;
    }
  }
  return acc.map((x) => ({
    rps: Math.round(x.total / optsA.durationSec),
    p50Ms: x.latencies.getValueAtPercentile(50),
    p95Ms: x.latencies.getValueAtPercentile(95),
    p99Ms: x.latencies.getValueAtPercentile(99),
    errors: x.errors,
    total: x.total,
  }));
}

module.exports = { histogram, run, runSliced, runPaired };
