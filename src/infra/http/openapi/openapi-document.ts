/**
 * The OpenAPI document, built in ONE place for the server (/api/docs-json) and for CI
 * (`node dist/openapi.js`). Controllers declare what is particular to an operation (summary,
 * success body, the domain refusals it can answer: 409, 422, 423, 429 via @RateLimit); this file
 * adds what every operation shares, from facts the document already holds:
 *  - problem+json (ProblemDto) as the body of every 4xx/5xx, and 400/431/500/503 on every
 *    operation (malformed URLs, oversized headers and bodies are refused before any route runs;
 *    the database can be down);
 *  - 403 IP_BLOCKED everywhere IP protection applies (not the probes), 401 where a token is
 *    required, 404 and 414 where the path names a resource, 413/415 where a body is read;
 *  - `security: []` on public operations;
 *  - Retry-After and RateLimit-* headers on operations with a route budget (those with a 429).
 */
import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  SwaggerModule,
  type HeaderObject,
  type OpenAPIObject,
  type OperationObject,
  type ResponseObject,
} from '@nestjs/swagger';
import { ProblemDto } from '../problem.dto';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** What each shared refusal means, in the codes of DESIGN.md §3. */
const SHARED_REFUSALS: Record<number, string> = {
  400: 'VALIDATION_FAILED: the request (path, query, headers or body) is malformed or breaks a documented limit',
  401: 'UNAUTHENTICATED: the access token is missing, invalid, expired or revoked',
  403: 'IP_BLOCKED: this client IP made too many requests and is blocked for a while (Retry-After)',
  404: 'NOT_FOUND: no such resource, or it belongs to someone else',
  413: 'PAYLOAD_TOO_LARGE: the body exceeds 100 KiB',
  414: 'VALIDATION_FAILED: a path parameter is longer than 100 characters',
  415: 'VALIDATION_FAILED: unsupported Content-Type, charset or Content-Encoding; send application/json in UTF-8, unencoded',
  431: 'VALIDATION_FAILED: the request line and headers together exceed 16 KiB',
  429: 'RATE_LIMIT_EXCEEDED: the route budget is spent (Retry-After, RateLimit-*)',
  500: 'INTERNAL: an unexpected error; no detail is disclosed (quote requestId)',
  503: 'SERVICE_UNAVAILABLE: shutting down, a dependency (the database) is unavailable, or — for staff (TELLER, ADMIN) tokens — session revocations cannot be confirmed; retry after Retry-After',
};

const TAGS: Record<string, string> = {
  auth: 'Sign-up, sign-in, token refresh, email verification, passwords',
  users: 'Profiles, roles and privilege levels',
  transactions: 'Bank accounts, deposits, withdrawals, transfers (double-entry ledger)',
  auctions: 'Leagues, participants, auctions and bids (live updates over Socket.IO, see /api/docs/asyncapi.json)',
  security: 'Rate-limit budgets, IP blocks and abuse flags',
  audit: 'The audit log',
  health: 'Liveness, readiness and startup probes; component detail',
};

const seconds = (description: string): HeaderObject => ({
  description,
  schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86_400 },
});
const RETRY_AFTER = seconds('Seconds to wait before retrying');
const WWW_AUTHENTICATE: HeaderObject = {
  description: 'The Bearer challenge (RFC 6750): `Bearer realm="bulwark"`, with `error="invalid_token"` when an access token was sent and refused',
  required: true,
  schema: { type: 'string', pattern: '^Bearer realm="bulwark"(, error="invalid_token")?$', maxLength: 64 },
};
/** IETF draft RateLimit header fields, sent by operations with a route budget. */
const RATE_LIMIT_HEADERS: Record<string, HeaderObject> = {
  'RateLimit-Limit': { description: 'Calls allowed per window of this route budget', schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 1_000_000 } },
  'RateLimit-Remaining': { description: 'Calls left in the current window', schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 1_000_000 } },
  'RateLimit-Reset': seconds('Seconds until the window frees a call'),
};

/** Headers of every answer (DESIGN.md §3, §7). */
const COMMON_HEADERS: Record<string, HeaderObject> = {
  'X-Request-Id': {
    description: 'The request id (the caller\'s X-Request-Id when sane, else a new UUID); quote it when reporting a problem',
    required: true,
    schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{8,128}$', maxLength: 128 },
  },
  'Cache-Control': {
    description: '`no-store` on every answer: answers carry balances, tokens and personal data, and no cache may keep them',
    required: true,
    schema: { type: 'string', enum: ['no-store'] },
  },
  'Access-Control-Allow-Origin': {
    description: 'Only for an Origin listed in CORS_ORIGINS (never a wildcard)',
    schema: { type: 'string', format: 'uri', maxLength: 2048 },
  },
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Bulwark API')
    .setDescription(
      'Auth, users, double-entry ledger, real-time auctions. Errors are RFC 9457 problem+json. ' +
        'The Socket.IO API is described by the AsyncAPI document at /api/docs/asyncapi.json.',
    )
    .setVersion('1')
    .setLicense('Proprietary', 'https://bulwark.dev/license')
    .addServer('/', 'This deployment, local, staging or production (same origin as this document)', undefined, {
      'x-internal': false,
    })
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'Access token from POST /api/v1/auth/signin: an HS256 JWT with kid, exp, iss and aud; the signature (by the key its kid names), exp, iss and aud are all checked (RFC8725 best practices); 15 minutes by default.',
    });
  for (const [name, description] of Object.entries(TAGS)) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), { extraModels: [ProblemDto] });
  return describeSharedAnswers(document);
}

/** Adds the answers every operation shares (see the header); exported for the unit test. */
export function describeSharedAnswers(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) describeOperation(path, operation);
    }
  }
  return document;
}

const PROBLEM_REF = '#/components/schemas/ProblemDto';

/**
 * Error answers are problem+json. A controller that documents its own body for an error status
 * (the probes' 503 report) keeps it: the framework may still answer that status as problem+json.
 */
function problemContent(response: ResponseObject): ResponseObject['content'] {
  const own = Object.entries(response.content ?? {}).filter(([, media]) => (media.schema as { $ref?: string } | undefined)?.$ref !== PROBLEM_REF);
  return { ...Object.fromEntries(own), [PROBLEM_MEDIA_TYPE]: { schema: { $ref: PROBLEM_REF } } };
}

function describeOperation(path: string, operation: OperationObject): void {
  const secured = (operation.security ?? []).length > 0;
  if (!secured) operation.security = [];
  const responses = operation.responses as Record<string, ResponseObject>;
  const shared = [400, 431, 500, 503];
  if (!path.startsWith('/health/')) shared.push(403); // probes are exempt from IP protection
  if (secured) shared.push(401);
  if (path.includes('{')) shared.push(404, 414);
  if (operation.requestBody) shared.push(413, 415);
  for (const status of shared) responses[status] ??= { description: SHARED_REFUSALS[status] };
  const forbidden = responses[403];
  if (forbidden && secured && forbidden.description === SHARED_REFUSALS[403]) {
    forbidden.description = `FORBIDDEN (role or ownership), EMAIL_NOT_VERIFIED (the email must be verified), or ${SHARED_REFUSALS[403]}`;
  } else if (forbidden && !forbidden.description.includes('IP_BLOCKED') && shared.includes(403)) {
    forbidden.description = `${forbidden.description}; or ${SHARED_REFUSALS[403]}`;
  }

  const rateLimited = '429' in responses;
  for (const [status, response] of Object.entries(responses)) {
    const code = Number(status);
    response.headers = { ...COMMON_HEADERS, ...response.headers };
    if (code >= 400) {
      response.description ||= SHARED_REFUSALS[code] ?? 'Refused';
      response.content = problemContent(response);
      if ([403, 423, 429, 503].includes(code)) response.headers = { ...response.headers, 'Retry-After': RETRY_AFTER };
      if (code === 401) response.headers = { ...response.headers, 'WWW-Authenticate': WWW_AUTHENTICATE };
    }
    // The budget is counted before anything else runs, so every answer but a 5xx carries it.
    if (rateLimited && code < 500) response.headers = { ...response.headers, ...RATE_LIMIT_HEADERS };
  }
  const ordered = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
  operation.responses = ordered;
}
