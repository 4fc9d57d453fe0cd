/**
 * Fastify hooks wired once at start-up: request id in and out, the per-request context for logs,
 * refusal of new requests once shutdown has passed its drain delay, and HTTP metrics labelled
 * with the route TEMPLATE (404s share one `unmatched` series). As few hooks as that takes: every
 * global hook is a step of every request, the probes' included.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { MetricsService } from '../../metrics/metrics.service';
import type { ShutdownService } from '../lifecycle/shutdown.service';
import { addSecurityHeaderExtras } from '../../security/http/security-headers';
import { flatLineLogger } from '../logging/logger';
import { requestContext, type RequestContext } from '../logging/request-context';
import { sendProblem } from './problem.filter';
import { DomainError } from './domain-error';
import { routeTemplate } from './route-template';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Takes the caller's X-Request-Id when it is a sane value, else makes a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}

const CTX = Symbol('bulwarkRequestContext');
const STARTED = Symbol('bulwarkStarted');
type WithCtx = FastifyRequest & { [CTX]?: RequestContext; [STARTED]?: number };

/** The request has a body (RFC 9112 §6.3) under a content coding other than identity. */
function encodedBody(req: FastifyRequest): boolean {
  const coding = req.headers['content-encoding'];
  if (coding === undefined || coding.trim().toLowerCase() === 'identity') return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Probes and scrapes get no access-log line: they would drown everything else. */
const accessLogged = (route: string) => !route.startsWith('/health/') && route !== '/metrics';

export function registerHttpHooks(
  fastify: FastifyInstance,
  deps: { logger: Logger; metrics: MetricsService; shutdown: ShutdownService; tracing: boolean },
): void {
  fastify.addHook('onRequest', (req: WithCtx, reply, done) => {
    addSecurityHeaderExtras(req.url, reply.raw); // first: this hook's own 503s carry them too
    req[STARTED] = performance.now();
    routeTemplate(req); // read once here; later steps reuse it
    void reply.header('x-request-id', req.id);
    const ctx: RequestContext = { requestId: String(req.id), ip: req.ip, userAgent: req.headers['user-agent'] };
    if (deps.tracing) ctx.traceId = trace.getActiveSpan()?.spanContext().traceId;
    req[CTX] = ctx;
    if (deps.shutdown.isClosing) {
      void reply.header('connection', 'close');
      sendProblem(
        req,
        reply,
        new DomainError('SERVICE_UNAVAILABLE', 503, 'Server is shutting down; retry on another instance'),
        deps.logger,
        deps.metrics,
      );
      return;
    }
    // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400. Node's own refusal is off
    // (main.ts) because it has no body and none of the headers every answer carries.
    if (req.headers.host === undefined && req.raw.httpVersionMajor === 1 && req.raw.httpVersionMinor === 1) {
      sendProblem(req, reply, new DomainError('VALIDATION_FAILED', 400, 'An HTTP/1.1 request must carry a Host header'), deps.logger, deps.metrics);
      return;
    }
    // A body we cannot read as sent: Fastify ignores Content-Encoding, so `gzip` failed as
    // malformed JSON and an unknown coding was read as if absent. RFC 9110 §15.5.16: 415.
    if (encodedBody(req)) {
      sendProblem(req, reply, new DomainError('VALIDATION_FAILED', 415, 'Content-Encoding is not supported: send the body unencoded'), deps.logger, deps.metrics);
      return;
    }
    // While draining, every answer closes its connection, so clients holding keep-alive
    // connections reconnect (through the load balancer) to a replica that is staying.
    if (deps.shutdown.isShuttingDown) void reply.header('connection', 'close');
    // Everything after this hook runs in the context, the handler's whole async chain included:
    // Fastify reads a body in an AsyncResource made here, so a body that arrives on later socket
    // callbacks does not lose it (foundation.int-spec.ts sends one late).
    requestContext.run(ctx, done);
  });

  const accessLog = flatLineLogger(deps.logger);
  fastify.addHook('onResponse', (req: WithCtx, reply, done) => {
    // is404 first: a request handed to the not-found handler after routing is 'unmatched'.
    const route = (req.is404 ? undefined : routeTemplate(req)) ?? 'unmatched';
    const status = reply.statusCode;
    const started = req[STARTED];
    const ms = started !== undefined ? performance.now() - started : 0;
    deps.metrics.http.of(req.method, route).record(status, ms / 1000);
    if (accessLogged(route)) {
      const ctx = req[CTX];
      const line = {
        requestId: req.id,
        traceId: ctx?.traceId,
        userId: ctx?.userId,
        method: req.method,
        route,
        status,
        ms: Math.round(ms),
      };
      // A 503 is an expected answer (a dependency outage, logged once per burst by the OutageLog,
      // or shutting down): an error line per request would flood the log during an outage.
      if (status >= 500 && status !== 503) accessLog.error(line, 'request completed');
      else accessLog.info(line, 'request completed');
    }
    done();
  });
}
