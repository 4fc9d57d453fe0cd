/**
 * Security headers on every answer (DESIGN.md §7): Nest's built-in `app.useSecurityHeaders()`
 * (helmet 8's headers, set from one request hook before routing, so 404s, errors and framework
 * rejections carry them too) configured strictly for a JSON API, plus what it does not cover:
 * Permissions-Policy, and a relaxed CSP for the Swagger UI under /api/docs only (its page needs
 * inline styles and data: images). Everything is computed once at start-up.
 * Pure (type imports only).
 */
import type { SecurityHeadersOptions } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';

/** Swagger UI: its own scripts and stylesheets, inline <style> blocks, data: icons. */
export const DOCS_CSP =
  "default-src 'self'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'; object-src 'none'; " +
  "script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:";

export const PERMISSIONS_POLICY =
  'accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), interest-cohort=()';

export const DOCS_PREFIX = '/api/docs';

export const SECURITY_HEADERS_OPTIONS: SecurityHeadersOptions = {
  // An API serves no documents: nothing may load, frame or submit anywhere.
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      'default-src': "'self'",
      'base-uri': "'self'",
      'frame-ancestors': "'none'",
      'form-action': "'self'",
      'object-src': "'none'",
    },
  },
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  xFrameOptions: { action: 'deny' },
  xContentTypeOptions: true,
  referrerPolicy: { policy: 'no-referrer' },
  crossOriginOpenerPolicy: { policy: 'same-origin' },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  xPoweredBy: true,
};

/** Adds Permissions-Policy everywhere and swaps in the docs CSP under /api/docs. Register first. */
export function registerSecurityHeaderExtras(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    reply.raw.setHeader('permissions-policy', PERMISSIONS_POLICY);
    if (req.url.startsWith(DOCS_PREFIX)) reply.raw.setHeader('content-security-policy', DOCS_CSP);
    done();
  });
}
