'use strict';
/**
 * Socket fan-out measurement: N websocket-only socket.io clients split across servers, each
 * joined to one room; every received event's delivery latency (receive time − the event's
 * server timestamp) goes into one histogram, and events are counted per socket.
 */
const { io } = require('socket.io-client');
const hdr = require('hdr-histogram-js');

async function connectClients({ urls, count, path, tokenFor, join, event, atOf, seqOf }) {
  const latencies = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000, numberOfSignificantValueDigits: 3 });
  const perSocket = new Array(count).fill(0);
  const duplicates = { n: 0 };
  const sockets = [];
  const batch = 50;
  for (let i = 0; i < count; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, (_, k) => {
        const idx = i + k;
        const seen = new Set();
        const socket = io(urls[idx % urls.length], {
          path,
          transports: ['websocket'],
          reconnection: false,
          auth: tokenFor ? { token: tokenFor(idx) } : undefined,
          forceNew: true,
        });
        sockets.push(socket);
        socket.on(event, (payload) => {
          const now = Date.now();
          const seq = seqOf(payload);
          if (seen.has(seq)) {
            duplicates.n++;
            return;
          }
          seen.add(seq);
          perSocket[idx]++;
          latencies.recordValue(Math.max(1, now - atOf(payload)));
        });
        return new Promise((res, rej) => {
          socket.once('connect_error', (err) => rej(new Error(`socket ${idx}: ${err.message}`)));
          socket.once('connect', () => {
            socket.emit(join.event, join.payload, (ack) => (ack && ack.ok === false ? rej(new Error(`join refused: ${JSON.stringify(ack)}`)) : res()));
          });
        });
      }),
    );
  }
  return {
    sockets,
    stats(expectedPerSocket) {
      const delivered = perSocket.reduce((a, b) => a + b, 0);
      const expected = expectedPerSocket * count;
      return {
        sockets: count,
        expected,
        delivered,
        lost: Math.max(0, expected - delivered),
        duplicates: duplicates.n,
        p50Ms: latencies.getValueAtPercentile(50),
        p99Ms: latencies.getValueAtPercentile(99),
      };
    },
    close() {
      for (const s of sockets) s.close();
    },
  };
}

module.exports = { connectClients };
