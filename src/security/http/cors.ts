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

/** Options for `app.enableCors()` (@fastify/cors). */
export function corsOptions(allowlist: readonly string[]) {
  const allowed = new Set(allowlist);
  return {
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
