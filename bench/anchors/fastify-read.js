'use strict';
/**
 * Anchor: the floor under an authenticated account read. Bare Fastify doing the same I/O as
 * Bulwark's `GET /api/v1/accounts/:accountNumber`, and nothing else:
 * - the bearer token verified with jsonwebtoken (HS256, issuer, audience), cached per token as the
 *   replica does;
 * - the `ip` limiter's check-and-count: the same Lua script (from dist) through ioredis with
 *   auto-pipelining and a command timeout, one call per request;
 * - the same SELECT through a pg pool of the same size, as a named prepared statement;
 * - the same JSON fields (the balance as stored, without the replica's decimal formatting).
 * No Nest, no validation, guards, security headers, CORS, metrics, access log or tracing context:
 * what a read costs the replica beyond this anchor is what the framework and those pieces cost.
 * Env as a replica's: PORT, HOST, DATABASE_URL, REDIS_URL, JWT_SECRET (so `bench/ab.js` can run it
 * as a variant: `{"floor": {"main": "bench/anchors/fastify-read.js"}}`). Answers /health/ready.
 */
const { join } = require('node:path');
const fastify = require('fastify')({ logger: false });
const jwt = require('jsonwebtoken');
const { Pool } = require('pg');
const { Redis } = require('ioredis');
const { BLOCKING_WINDOW_LUA } = require(join(__dirname, '../../dist/infra/redis/sliding-window.js'));

const secret = process.env.JWT_SECRET;
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const redis = new Redis(process.env.REDIS_URL, { enableAutoPipelining: true, commandTimeout: 1000 });
redis.defineCommand('floorWindow', { numberOfKeys: 2, lua: BLOCKING_WINDOW_LUA });
const tokens = new Map();
let seq = 0;

function user(req) {
  const m = /^Bearer\s+([A-Za-z0-9\-_.]+)$/.exec(req.headers.authorization || '');
  if (!m) return undefined;
  let claims = tokens.get(m[1]);
  if (!claims) {
    claims = jwt.verify(m[1], secret, { algorithms: ['HS256'], issuer: 'bulwark', audience: 'bulwark-api' });
    tokens.set(m[1], claims);
  }
  return claims;
}

fastify.get('/health/ready', async () => ({ status: 'ok' }));

fastify.get('/api/v1/accounts/:accountNumber', async (req, reply) => {
  if (!user(req)) return reply.code(401).send({ code: 'UNAUTHENTICATED' });
  const key = `ip:${req.ip}`;
  const [blocked] = await redis.floorWindow(
    `bw:rl:{${key}}`,
    `bw:rl-block:{${key}}`,
    100000000,
    60000,
    `floor:${++seq}`,
    900000,
    String(Date.now()),
  );
  if (blocked === 1) return reply.code(429).send({ code: 'RATE_LIMITED' });
  const { rows } = await pool.query({
    name: 'floor-account',
    text: 'SELECT account_number, owner_id, kind, currency, balance, created_at FROM accounts WHERE account_number = $1',
    values: [req.params.accountNumber],
  });
  const a = rows[0];
  if (!a) return reply.code(404).send({ code: 'NOT_FOUND' });
  return {
    accountNumber: a.account_number,
    ownerId: a.owner_id ?? '',
    currency: a.currency,
    balance: a.balance,
    createdAt: a.created_at.toISOString(),
  };
});

fastify
  .listen({ port: Number(process.env.PORT), host: process.env.HOST || '127.0.0.1' })
  .then(() => process.stdout.write('ready\n'));
const stop = () =>
  fastify
    .close()
    .then(() => Promise.all([pool.end(), redis.quit()]))
    .finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
