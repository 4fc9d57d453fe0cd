/**
 * The route TEMPLATE of a request (`/api/v1/accounts/:accountNumber`), or undefined when no route
 * matched. Fastify's `request.routeOptions` builds a fresh object on every access, and several
 * per-request steps need the template (metrics, throttling, the unmatched-route limiter), so the
 * request-id hook reads it once and stores it on the request. Pure (type imports only).
 */
import type { FastifyRequest } from 'fastify';

const TEMPLATE = Symbol('bulwarkRouteTemplate');
type WithTemplate = FastifyRequest & { [TEMPLATE]?: string | null };

/** Reads the template once per request (null = unmatched) and keeps it on the request. */
export function routeTemplate(req: FastifyRequest): string | undefined {
  const r = req as WithTemplate;
  let template = r[TEMPLATE];
  if (template === undefined) r[TEMPLATE] = template = req.routeOptions?.url ?? null;
  return template ?? undefined;
}
