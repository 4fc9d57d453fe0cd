/**
 * Bootstrap only: validated config, the Fastify adapter, global pipes/filters/hooks, OpenAPI,
 * signal handling for graceful shutdown, listen.
 */
import type { Socket } from 'node:net';
import './tracing'; // first: instrumentations must hook modules before they load
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController, type FastifyBaseLogger, type FastifyError, type FastifyReply } from 'fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { buildOpenApiDocument } from './infra/http/openapi/openapi-document';
import { ASYNCAPI_URL, buildAsyncApiDocument } from './auctions/asyncapi';
import { AppConfig } from './config/config.service';
import { ConfigError, type Config } from './config/config.schema';
import { exitAfterLogs, rootLogger } from './infra/logging/logging.module';
import { PinoNestLogger } from './infra/logging/logger';
import { registerJsonBodyParser } from './infra/http/json-body';
import { BODY_LIMIT_BYTES } from './infra/http/body-limit';
import { ProblemFilter } from './infra/http/problem.filter';
import { routeTemplate } from './infra/http/route-template';
import { BID_ROUTE } from './auctions/auctions.controller';
import { BiddingService } from './auctions/bidding.service';
import { SOCKET_PATH } from './auctions/auctions.gateway';
import { OutageLog } from './infra/resilience/outage-log';
import { registerHttpHooks, requestIdFrom } from './infra/http/http-hooks';
import { answerClientError, answerFrameworkError, type PreRouteAnswerListener } from './infra/http/pre-route-errors';
import { ShutdownService } from './infra/lifecycle/shutdown.service';
import { installFatalErrorHandler } from './infra/lifecycle/fatal-errors';
import { MetricsService } from './metrics/metrics.service';
import { SecurityEventsService } from './security/security-events.service';
import { RedisFactory } from './infra/redis/redis.factory';
import { checkRedisTopology } from './infra/redis/redis-startup-check';
import { describeTopology, topologyOf } from './infra/redis/redis-topology';
import { RedisIoAdapter } from './auctions/redis-io.adapter';
import { upgradeOptions } from './infra/http/upgrades';
import { SECURITY_HEADERS_OPTIONS } from './security/http/security-headers';
import { corsOptions } from './security/http/cors';
import { AppModule } from './app.module';
import { shutdownTracing, tracingEnabled } from './tracing';

function loadConfigOrExit(): Config {
  try {
    return AppConfig.load();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: err.message, problems: err.problems })}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** Stops the start when a Redis setting can never work (bounded: a few seconds); see redis-startup-check. */
async function checkRedisOrExit(config: Config, logger: ReturnType<typeof rootLogger>): Promise<void> {
  const topology = topologyOf(config);
  if (!topology) return;
  const started = Date.now();
  const check = await checkRedisTopology(topology);
  if (check.fatal) {
    const checkMs = Date.now() - started;
    process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: `Invalid configuration: ${check.fatal}`, problems: [check.fatal], checkMs })}\n`);
    process.exit(1);
  }
  logger.info({ mode: topology.mode, redis: describeTopology(topology), unreachable: check.unreachable }, 'redis topology');
  if (check.unreachable.length > 0) logger.warn({ unreachable: check.unreachable }, 'redis: some servers did not answer at start');
}

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = rootLogger(config.LOG_LEVEL);
  // From here on an error nobody handled is logged as one fatal line before the exit.
  installFatalErrorHandler(logger, (code) => exitAfterLogs(code, FORCED_EXIT_LOG_WAIT_MS));
  await checkRedisOrExit(config, logger);
  const https =
    config.TLS_CERT_FILE && config.TLS_KEY_FILE
      ? { cert: readFileSync(config.TLS_CERT_FILE), key: readFileSync(config.TLS_KEY_FILE) }
      : undefined;

  // Answers made before any route runs are counted like others once the metrics exist (below).
  const counting: { metrics?: MetricsService } = {};
  const countPreRoute: PreRouteAnswerListener = (method, status, code) => {
    counting.metrics?.http.of(method, 'unmatched').record(status, 0);
    counting.metrics?.errorsTotal.inc({ code });
  };
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // No "incoming request"/"request completed" info line pair per request (a hot-path cost and
    // log noise; failures are logged by the problem filter). Set through a LogController: the
    // top-level `disableRequestLogging` option is deprecated in Fastify 5 (warning FSTDEP023).
    logController: new LogController({ disableRequestLogging: true }),
    // No per-request child logger: pino's child() (with redaction) cost more than the rest of a
    // probe's hooks together, and nothing logs through request.log; our lines get the request id
    // (and trace id) from the logger mixin, which reads the request context.
    childLoggerFactory: (parent: FastifyBaseLogger) => parent,
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => requestIdFrom(req.headers['x-request-id']),
    trustProxy: config.TRUST_PROXY.length > 0 ? config.TRUST_PROXY : false,
    keepAliveTimeout: 65_000, // above common load-balancer idle timeouts (60 s)
    // Once closing, our request hook answers new requests with a 503 problem document carrying
    // every header (http-hooks.ts); Fastify's own 503 is bare JSON without them.
    return503OnClosing: false,
    // Answers made before any route runs are problem documents too (DESIGN.md §3).
    frameworkErrors: (err: FastifyError, req: { url: string; id: string; method: string }, reply: unknown) =>
      answerFrameworkError(err, req, reply as FastifyReply, countPreRoute),
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => answerClientError(err, socket, countPreRoute),
    forceCloseConnections: 'idle',
    // Node answers an HTTP/1.1 request without Host with a bare 400 (no body, none of our
    // headers); the onRequest hook refuses it as a problem document instead (http-hooks.ts).
    // Only websocket upgrades on the Socket.IO path are upgrades; a request that merely offers one
    // (h2c) is answered like any other (upgrades.ts). Not Node's `optimizeEmptyRequests`: Fastify
    // would wait forever for the body of a POST with a Content-Type and no length (operations.md).
    ...(https
      ? { https: { ...https, requireHostHeader: false, ...upgradeOptions(SOCKET_PATH) } }
      : { http: { requireHostHeader: false, ...upgradeOptions(SOCKET_PATH) } }),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), adapter, {
    logger: new PinoNestLogger(logger.child({ component: 'nest' })),
    abortOnError: false,
    // Nest would add a form (application/x-www-form-urlencoded) parser beside JSON: every route
    // then took form bodies, which browsers send cross-origin without a CORS preflight. Bodies
    // are JSON only (DESIGN.md §3, the OpenAPI document): Fastify's own JSON parser, and no other.
    bodyParser: false,
  });

  const metrics = app.get(MetricsService);
  counting.metrics = metrics;
  const shutdown = app.get(ShutdownService);
  const fastify = app.getHttpAdapter().getInstance();
  // Fastify parses text/plain by default: a JSON body sent as text reached the DTOs as a string
  // (400 with every field "missing") instead of 415 like any other media type.
  fastify.removeContentTypeParser('text/plain');
  // JSON in UTF-8 only: another declared charset is 415, bytes that are not UTF-8 are 400.
  registerJsonBodyParser(fastify);
  // Security headers first, so every answer carries them (including the 503s of the hooks below).
  app.useSecurityHeaders(SECURITY_HEADERS_OPTIONS);
  // CORS runs in preParsing, after every request hook (cors.ts), so preflights carry all headers.
  app.enableCors(corsOptions(config.CORS_ORIGINS));
  registerHttpHooks(fastify, { logger, metrics, shutdown, tracing: tracingEnabled });
  const securityEvents = app.get(SecurityEventsService);
  const bidding = app.get(BiddingService);
  app.useGlobalFilters(
    new ProblemFilter(
      logger,
      metrics,
      app.get(OutageLog),
      (userId, refusal) => securityEvents.reportRefusal(userId, refusal),
      (req, refusal) => {
        if (req.method === BID_ROUTE.method && routeTemplate(req) === BID_ROUTE.template) bidding.countRejection(refusal.code);
      },
    ),
  );

  SwaggerModule.setup('api/docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'api/docs-json',
  });
  // The Socket.IO contract beside it, built on first request like the OpenAPI document.
  let asyncApiJson: string | undefined;
  fastify.get(ASYNCAPI_URL, (_request, reply) => {
    asyncApiJson ??= JSON.stringify(buildAsyncApiDocument(buildOpenApiDocument(app)));
    void reply.type('application/json; charset=utf-8').send(asyncApiJson);
  });

  // Socket.IO (auctions): Redis pub/sub fan-out across replicas when REDIS_URL is set.
  const ioAdapter = new RedisIoAdapter(app, app.get(AppConfig), app.get(RedisFactory), logger);
  await ioAdapter.connect();
  app.useWebSocketAdapter(ioAdapter);

  installSignalHandlers(app, shutdown, config, logger);
  await app.listen({ port: config.PORT, host: config.HOST });
  logger.info(
    { port: config.PORT, startupMs: Math.round(process.uptime() * 1000), tls: Boolean(https) },
    'bulwark ready',
  );
}

/** A forced exit still writes its last lines (the reason), but waits no longer than this for them. */
const FORCED_EXIT_LOG_WAIT_MS = 200;

function installSignalHandlers(
  app: NestFastifyApplication,
  shutdown: ShutdownService,
  config: Config,
  logger: ReturnType<typeof rootLogger>,
): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.warn({ signal }, 'second signal: forcing exit');
      exitAfterLogs(1, FORCED_EXIT_LOG_WAIT_MS);
      return;
    }
    signalled = true;
    const hardStop = setTimeout(() => {
      logger.error({ graceMs: config.SHUTDOWN_GRACE_MS }, 'graceful shutdown exceeded SHUTDOWN_GRACE_MS; forcing exit');
      exitAfterLogs(1, FORCED_EXIT_LOG_WAIT_MS);
    }, config.SHUTDOWN_GRACE_MS);
    hardStop.unref();
    // SIGTERM comes from an orchestrator: keep serving while endpoints are withdrawn.
    // SIGINT (and SIGHUP) is a person at a terminal: no drain delay.
    const drainMs = signal === 'SIGTERM' ? config.SHUTDOWN_DRAIN_MS : 0;
    shutdown.beginDrain();
    logger.info({ signal, drainMs }, 'shutdown started: readiness is now 503');
    setTimeout(() => {
      shutdown.beginClose();
      // The log stream writes asynchronously: exit only once the last lines are out, in order.
      app.close().then(
        async () => {
          await shutdownTracing().catch(() => undefined);
          logger.info('shutdown complete');
          exitAfterLogs(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          exitAfterLogs(1);
        },
      );
    }, drainMs);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // A closed terminal (`npm start`): Node's default would die at once, skipping every closer.
  process.on('SIGHUP', onSignal);
}

bootstrap().catch((err: unknown) => {
  rootLogger().fatal({ err }, 'failed to start');
  exitAfterLogs(1);
});
