/**
 * CORS for REST (DESIGN.md §7): only origins listed in CORS_ORIGINS (validated as exact origins by
 * the config schema, never a wildcard, because credentials are allowed). Other origins get no
 * CORS headers at all, so browsers refuse to hand them the answer. The Socket.IO handshake uses
 * the same `isAllowedOrigin` predicate. Pure (no runtime imports).
 */

export function isAllowedOrigin(origin: string | undefined, allowlist: readonly string[]): boolean {
  return origin !== undefined && allowlist.includes(origin);
}

export const EXPOSED_HEADERS = [
  'X-Request-Id',
  'Retry-After',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'Idempotent-Replayed',
  'Location',
];

/**
 * Options for `app.enableCors()` (@fastify/cors).
 *  - `hook: 'preParsing'`: CORS runs after every request hook, so a preflight it answers carries
 *    what every answer carries (DESIGN.md §7: the security headers, Permissions-Policy and
 *    X-Request-Id, set by the request hooks) and is counted and logged like any request. In its
 *    default place Nest runs it before its own security-headers hook, and preflights went out
 *    without any of them. Every answer made after routing (errors, 404s, 413s) still carries the
 *    CORS headers; only the request hook's own refusals (503 once closing, 400 without Host, 415
 *    for an encoded body), none of which a browser's ordinary request meets, go without them.
 *  - `strictPreflight: false`: an OPTIONS request from an allowed origin without
 *    Access-Control-Request-Method was a bare `400 Invalid Preflight Request` in text/plain (no
 *    problem document, no headers); it now gets the preflight answer (204 with the allowed methods and headers).
 */
export function corsOptions(allowlist: readonly string[]) {
  const allowed = new Set(allowlist);
  return {
    hook: 'preParsing' as const,
    strictPreflight: false,
    origin: (origin: string | undefined, callback: (err: Error | null, allow: boolean) => void) => {
      callback(null, origin !== undefined && allowed.has(origin));
    },
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id', 'traceparent'],
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
  };
}
