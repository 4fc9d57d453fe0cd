'use strict';
/** autocannon runs with an exact latency histogram (p50/p95/p99 in ms) and an error count. */
const autocannon = require('autocannon');
const hdr = require('hdr-histogram-js');

/** Runs autocannon; counts non-2xx and transport errors; returns rps and exact percentiles. */
function run(opts) {
  const { urls, connections, durationSec, method = 'GET', headers = {}, setupRequest } = opts;
  const latencies = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000, numberOfSignificantValueDigits: 3 });
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

module.exports = { run };
