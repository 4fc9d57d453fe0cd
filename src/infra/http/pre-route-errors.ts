/**
 * Answers made before any route runs (DESIGN.md §3): they leave as the same problem+json as every
 * other error, with a stable code and the request id, echoing nothing of the request but a
 * bounded `instance`.
 *  - Fastify's router refusals (`FST_ERR_BAD_URL` for malformed percent-encoding,
 *    `FST_ERR_MAX_PARAM_LENGTH` for a path parameter over `maxParamLength`) reach
 *    `frameworkErrors` before any hook runs, so the request id header is set here.
 *  - Node's HTTP parser refusals (headers over `maxHeaderSize`: 431; an invalid header value,
 *    a bad Content-Length, a malformed request line: 400; a request too slow to arrive: 408)
 *    never become a request at all: `clientErrorHandler` writes the answer to the raw socket,
 *    with the security headers the hooks would have added.
 * Pure (no Nest imports).
 */
import { randomUUID } from 'node:crypto';
import { METHODS, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply } from 'fastify';
import { problem, type ErrorCode } from './domain-error';
import { CACHE_CONTROL, PERMISSIONS_POLICY } from '../../security/http/security-headers';

/** The longest `instance` echoed back: a 10 kB URL is not returned to its sender. */
export const MAX_INSTANCE_LENGTH = 256;

/** The path of a URL (no query), cut to MAX_INSTANCE_LENGTH characters. */
export function instanceOf(url: string): string {
  const path = url.split('?')[0];
  return path.length > MAX_INSTANCE_LENGTH ? `${path.slice(0, MAX_INSTANCE_LENGTH)}…` : path;
}

interface FrameworkRefusal {
  status: number;
  code: ErrorCode;
  detail: string;
}

/** Status, code and a detail that echoes nothing, for a Fastify framework error. */
export function frameworkRefusal(err: { code?: string; statusCode?: number }): FrameworkRefusal {
  switch (err.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { status: 414, code: 'VALIDATION_FAILED', detail: 'A path parameter is too long' };
    case 'FST_ERR_BAD_URL':
      return { status: 400, code: 'VALIDATION_FAILED', detail: 'The URL is not validly percent-encoded' };
    default:
      return { status: 400, code: 'VALIDATION_FAILED', detail: 'Bad request' };
  }
}

/** The headers every answer carries (DESIGN.md §7), for answers written without Fastify's hooks. */
export const RAW_SECURITY_HEADERS: Record<string, string> = {
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'self';base-uri 'self';frame-ancestors 'none';form-action 'self';object-src 'none'",
  'Referrer-Policy': 'no-referrer',
  'Permissions-Policy': PERMISSIONS_POLICY,
  'Cache-Control': CACHE_CONTROL,
};

/**
 * Told of each answer made here, so that it is counted like any other (http_requests_total with
 * the `unmatched` route, errors_total): no onResponse hook runs for these. `method` is the
 * request's, or OTHER when it cannot be read.
 */
export type PreRouteAnswerListener = (method: string, status: number, code: ErrorCode) => void;

/**
 * Fastify's `frameworkErrors` option. Runs before the onRequest hooks, so X-Request-Id (the id
 * came from genReqId) and the security headers are set here.
 */
export function answerFrameworkError(
  err: { code?: string },
  req: { url: string; id: string; method: string },
  reply: FastifyReply,
  onAnswer?: PreRouteAnswerListener,
): void {
  const refusal = frameworkRefusal(err);
  onAnswer?.(knownMethod(req.method), refusal.status, refusal.code);
  const body = problem(refusal.status, refusal.code, refusal.detail, instanceOf(req.url), String(req.id));
  void reply
    .status(refusal.status)
    .headers({ ...RAW_SECURITY_HEADERS, 'x-request-id': String(req.id), 'content-type': 'application/problem+json; charset=utf-8' })
    .send(body);
}

/** Status and code for an error of Node's HTTP parser. */
export function parserRefusal(code: string | undefined): FrameworkRefusal {
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, code: 'VALIDATION_FAILED', detail: 'Request headers are too large' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, code: 'VALIDATION_FAILED', detail: 'The request took too long to arrive' };
  return { status: 400, code: 'VALIDATION_FAILED', detail: 'The request is not valid HTTP' };
}

/**
 * Method and path from the start of a raw request, when they can be read: the method as a metric
 * label (knownMethod), the path as the problem's `instance` ("/" when unreadable).
 */
function rawRequestLine(raw: unknown): { method: string; path: string } {
  const line = Buffer.isBuffer(raw) ? raw.subarray(0, MAX_INSTANCE_LENGTH + 64).toString('latin1').split('\r\n')[0] : '';
  const method = /^([A-Z]+) /.exec(line)?.[1];
  const path = /^[A-Z]+ (\/[\x21-\x7e]*)/.exec(line)?.[1];
  return { method: knownMethod(method), path: path === undefined ? '/' : instanceOf(path) };
}

const METHOD_NAMES = new Set(METHODS);

/** A metric label: one of Node's HTTP methods, else OTHER (no unbounded label values). */
function knownMethod(method: string | undefined): string {
  return method !== undefined && METHOD_NAMES.has(method) ? method : 'OTHER';
}

/** Fastify's `clientErrorHandler`: a problem document written straight to the socket. */
export function answerClientError(
  err: Error & { code?: string; rawPacket?: unknown },
  socket: Socket,
  onAnswer?: PreRouteAnswerListener,
): void {
  // A reset connection has nobody left to answer (as Fastify's default handler does).
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const refusal = parserRefusal(err.code);
    const request = rawRequestLine(err.rawPacket);
    onAnswer?.(request.method, refusal.status, refusal.code);
    const requestId = randomUUID();
    const body = JSON.stringify(problem(refusal.status, refusal.code, refusal.detail, request.path, requestId));
    const headers = {
      ...RAW_SECURITY_HEADERS,
      'X-Request-Id': requestId,
      'Content-Type': 'application/problem+json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
      Connection: 'close',
    };
    const head = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n');
    socket.write(`HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n${head}\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
