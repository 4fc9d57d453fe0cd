'use strict';
/**
 * Anchor: a bare socket.io server with @socket.io/redis-adapter (ioredis), websocket only.
 * `node socketio-node.js <port> <redisUrl> <emitter:0|1> <eventsPerSec> <durationSec>`
 * Clients join room "a" by emitting "join". The emitter node, once told "go" on stdin, emits
 * `tick {seq, at}` to the room at the given rate: the same pattern as bid_update fan-out.
 */
const { createServer } = require('node:http');
const { Server } = require('socket.io');
const { createAdapter } = require('@socket.io/redis-adapter');
const { Redis } = require('ioredis');

const [port, redisUrl, emitter, rate, duration] = process.argv.slice(2);
const pub = new Redis(redisUrl);
const sub = pub.duplicate();
const http = createServer();
const io = new Server(http, { transports: ['websocket'], adapter: createAdapter(pub, sub) });
io.on('connection', (socket) => {
  socket.on('join', (_payload, ack) => {
    socket.join('a');
    if (typeof ack === 'function') ack({ ok: true });
  });
});
http.listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));

if (emitter === '1') {
  process.stdin.on('data', (d) => {
    if (!String(d).includes('go')) return;
    let seq = 0;
    const total = Number(rate) * Number(duration);
    const timer = setInterval(() => {
      seq++;
      io.to('a').emit('tick', { seq, at: Date.now() });
      if (seq >= total) {
        clearInterval(timer);
        process.stdout.write(`emitted ${seq}\n`);
      }
    }, 1000 / Number(rate));
  });
}
process.on('SIGTERM', () => {
  io.close();
  pub.disconnect();
  sub.disconnect();
  process.exit(0);
});
