'use strict';
/**
 * Anchor for the probe's target (issue #16: `/health/live` within 2.0 × bare Fastify's CPU per
 * request): a bare Nest 12 app on Fastify serving `GET /health/live` → {"status":"ok"}, and the
 * same app with only what every Bulwark answer must go through, each piece as Bulwark configures
 * it (its own compiled modules from dist, so `npm run build` first):
 *   node bench/anchors/nest-probe.js <port> bare|mandated
 * mandated = Nest's security headers with Bulwark's options, one request hook (X-Request-Id,
 * Permissions-Policy, Cache-Control, the request context in AsyncLocalStorage), CORS in
 * preParsing with Bulwark's options, four global guards that each read their route metadata and
 * let the probe through synchronously, and Bulwark's MetricsService (Node's default metrics, the two
 * HTTP metrics recorded per request in batches).
 * Nothing else: no logging (probes write no access line), no database, no Redis, no limiter
 * (probes are exempt), no validation. What `mandated` costs over Fastify is the least the probe can
 * cost while doing what DESIGN.md §3, §6 and §7 and the rules require.
 */
const { join } = require('node:path');
const { randomUUID } = require('node:crypto');
const { performance } = require('node:perf_hooks');
require('reflect-metadata');
const { Module, Controller, Get, Injectable } = require('@nestjs/common');
const { NestFactory, APP_GUARD, Reflector } = require('@nestjs/core');
const { FastifyAdapter } = require('@nestjs/platform-fastify');

const dist = (p) => require(join(__dirname, '../../dist', p));
const [port, mode = 'bare'] = process.argv.slice(2);
const mandated = mode === 'mandated';

class Health {
  live() {
    return { status: 'ok' };
  }
}
Controller('health')(Health);
Get('live')(Health.prototype, 'live', Object.getOwnPropertyDescriptor(Health.prototype, 'live'));

/** A guard like each of Bulwark's four: one metadata read, then a synchronous yes. */
function makeGuard(key) {
  class Guard {
    constructor(reflector) {
      this.reflector = reflector;
    }
    canActivate(context) {
      if (context.getType() !== 'http') return true;
      return this.reflector.getAllAndOverride(key, [context.getHandler(), context.getClass()]) !== false;
    }
  }
  Injectable()(Guard);
  Reflect.defineMetadata('design:paramtypes', [Reflector], Guard);
  return Guard;
}
const guards = ['isPublic', 'roles', 'verified', 'skipThrottle'].map((key) => ({
  provide: APP_GUARD,
  useClass: makeGuard(key),
}));

class AppModule {}
Module({ controllers: [Health], providers: mandated ? guards : [] })(AppModule);

async function main() {
  const adapter = new FastifyAdapter({ genReqId: () => randomUUID() });
  const app = await NestFactory.create(AppModule, adapter, { logger: false });
  if (mandated) {
    const { SECURITY_HEADERS_OPTIONS, addSecurityHeaderExtras } = dist('security/http/security-headers');
    const { corsOptions } = dist('security/http/cors');
    const { requestContext } = dist('infra/logging/request-context');
    const { routeTemplate } = dist('infra/http/route-template');
    // Bulwark's own metrics service: its registry, Node's default metrics (DESIGN §6) and the two
    // HTTP metrics recorded in batches.
    const metrics = new (dist('metrics/metrics.service').MetricsService)();
    app.useSecurityHeaders(SECURITY_HEADERS_OPTIONS);
    app.enableCors(corsOptions([]));
    const fastify = app.getHttpAdapter().getInstance();
    const STARTED = Symbol('started');
    fastify.addHook('onRequest', (req, reply, done) => {
      addSecurityHeaderExtras(req.url, reply.raw);
      req[STARTED] = performance.now();
      void reply.header('x-request-id', req.id);
      requestContext.run({ requestId: String(req.id), ip: req.ip, userAgent: req.headers['user-agent'] }, done);
    });
    fastify.addHook('onResponse', (req, reply, done) => {
      metrics.http
        .of(req.method, routeTemplate(req) ?? 'unmatched')
        .record(reply.statusCode, (performance.now() - req[STARTED]) / 1000);
      done();
    });
  }
  await app.listen(Number(port), '127.0.0.1');
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
}
main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
