/**
 * The one global exception filter: every error, from a DomainError to a framework
 * exception or an unexpected crash, leaves as RFC 9457 problem+json with a stable code.
 * A 500 never carries a stack, SQL text or secret; it is logged with the request id instead.
 * A dependency fault (infra/resilience/dependency-fault) is 503 SERVICE_UNAVAILABLE with
 * Retry-After, logged through the OutageLog (once per burst, at warn), not per request.
 */
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ThrottlerException } from '@nestjs/throttler';
import { LOGGER } from '../logging/logging.module';
import { MetricsService } from '../../metrics/metrics.service';
import { dependencyFault, serviceUnavailable } from '../resilience/dependency-fault';
import type { OutageLog } from '../resilience/outage-log';
import { instanceOf } from './pre-route-errors';
import { addSecurityHeaderExtras } from '../../security/http/security-headers';
import { DomainError, codeForStatus, problem, type ErrorCode, type FieldProblem } from './domain-error';

export interface RenderedError {
  status: number;
  code: ErrorCode;
  detail: string;
  errors?: FieldProblem[];
  headers?: Record<string, string>;
}

/** Maps anything thrown to status/code/detail. Unknown errors become 500 INTERNAL. */
export function renderError(err: unknown): RenderedError {
  if (err instanceof DomainError) {
    return { status: err.status, code: err.code, detail: err.message, errors: err.errors, headers: err.headers };
  }
  if (err instanceof ThrottlerException) {
    return { status: 429, code: 'RATE_LIMIT_EXCEEDED', detail: 'Too many requests; retry later' };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const res = err.getResponse();
    let detail = err.message;
    if (typeof res === 'object' && res !== null && 'message' in res) {
      const m = (res as { message: unknown }).message;
      detail = Array.isArray(m) ? m.join('; ') : String(m);
    }
    if (status === 404 && /^Cannot [A-Z-]+ /.test(detail)) {
      detail = 'No such route';
    }
    return { status, code: codeForStatus(status), detail };
  }
  // Fastify's own errors (body too large, bad JSON, unsupported media type) carry statusCode.
  const fst = err as { statusCode?: number; code?: string; message?: string };
  if (typeof fst?.statusCode === 'number' && typeof fst.code === 'string' && fst.code.startsWith('FST_')) {
    const status = fst.statusCode;
    if (status === 413) return { status, code: 'PAYLOAD_TOO_LARGE', detail: 'Request body exceeds 100 KiB' };
    if (status < 500) return { status, code: codeForStatus(status), detail: safeFastifyDetail(fst.code, fst.message) };
  }
  // Any other error Fastify marked as the request's fault: the request stream failed while the body
  // was read, above all a client hanging up mid-body (Node's "aborted", code ECONNRESET). Its code
  // must not make it a database connection lost: that answered 503 and logged an outage.
  if (typeof fst?.statusCode === 'number' && fst.statusCode >= 400 && fst.statusCode < 500) {
    return { status: fst.statusCode, code: codeForStatus(fst.statusCode), detail: 'The request body could not be read in full' };
  }
  const unavailable = serviceUnavailable(err);
  if (unavailable) return renderError(unavailable);
  return { status: 500, code: 'INTERNAL', detail: 'An unexpected error occurred' };
}

function safeFastifyDetail(code: string, message?: string): string {
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'Unsupported content type; send application/json';
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'Body must not be empty when Content-Type is application/json';
  if (code.startsWith('FST_ERR_CTP') || message?.includes('JSON')) return 'Malformed request body';
  return 'Bad request';
}

/**
 * The challenge every 401 must carry (RFC 9110 §11.6.1), in the Bearer scheme's form (RFC 6750
 * §3): `error="invalid_token"` when an access token was sent and refused.
 */
export function bearerChallenge(req: Pick<FastifyRequest, 'headers'>, code: ErrorCode): string {
  const sent = /^Bearer\s/i.test(req.headers.authorization ?? '');
  return sent && code === 'UNAUTHENTICATED' ? 'Bearer realm="bulwark", error="invalid_token"' : 'Bearer realm="bulwark"';
}

/**
 * Told of every error answered to a caller whose identity came from a verified access token
 * (the auth guard's `request.user`), so refusals by guards count like refusals by services.
 */
export type RefusalListener = (userId: string, rendered: RenderedError) => void;

/** Told of every error answer the filter writes (e.g. to count a route's refusals by code). */
export type ErrorAnswerListener = (req: FastifyRequest, rendered: RenderedError) => void;

@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: MetricsService,
    private readonly outages?: OutageLog,
    private readonly onRefusal?: RefusalListener,
    private readonly onAnswer?: ErrorAnswerListener,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<FastifyRequest & { user?: { id: string } }>();
    const reply = ctx.getResponse<FastifyReply>();
    const rendered = sendProblem(req, reply, exception, this.logger, this.metrics, this.outages);
    if (req.user && this.onRefusal) this.onRefusal(req.user.id, rendered);
    this.onAnswer?.(req, rendered);
  }
}

export function sendProblem(
  req: FastifyRequest,
  reply: FastifyReply,
  exception: unknown,
  logger: Logger,
  metrics?: MetricsService,
  outages?: OutageLog,
): RenderedError {
  const rendered = renderError(exception);
  const fault = rendered.status === 503 ? dependencyFault(exception) : undefined;
  if (fault) {
    // An expected answer to a known fault: one line per burst, not a stack per request.
    if (outages) outages.record(fault, exception);
    else logger.warn({ dependency: fault.dependency, reason: fault.reason, url: req.url }, 'dependency outage: answering 503');
  } else if (rendered.status >= 500 && rendered.status !== 503) {
    logger.error({ err: exception, url: req.url, method: req.method }, 'request failed');
  }
  metrics?.errorsTotal.inc({ code: rendered.code });
  const body = problem(
    rendered.status,
    rendered.code,
    rendered.detail,
    instanceOf(req.url),
    String(req.id),
    rendered.errors,
  );
  if (reply.sent) return rendered;
  // Nest refuses a request target it cannot route (`OPTIONS *`) ahead of our request hook (its
  // hooks come first): what that hook sets on every answer is set here (DESIGN.md §7).
  if (!reply.hasHeader('x-request-id')) {
    addSecurityHeaderExtras(req.url, reply.raw);
    void reply.header('x-request-id', String(req.id));
  }
  for (const [k, v] of Object.entries(rendered.headers ?? {})) void reply.header(k, v);
  if (rendered.status === 401) void reply.header('www-authenticate', bearerChallenge(req, rendered.code));
  void reply.status(rendered.status).header('content-type', 'application/problem+json; charset=utf-8').send(body);
  return rendered;
}
