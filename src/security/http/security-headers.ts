/**
 * Security headers on every answer (DESIGN.md §7): Nest's built-in `app.useSecurityHeaders()`
 * (helmet 8's headers, set from one request hook before routing, so 404s, errors and framework
 * rejections carry them too) configured strictly for a JSON API, plus what it does not cover:
 * Permissions-Policy, Cache-Control: no-store, and a relaxed CSP for the Swagger UI under
 * /api/docs only (its page needs inline styles and data: images). Everything is computed once
 * at start-up.
 * Pure (type imports only).
 */
import type { ServerResponse } from 'node:http';
import type { SecurityHeadersOptions } from '@nestjs/common';

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
  // Nothing here sets X-Powered-By (Fastify never does), so removing it from every answer was a
  // call per request for nothing; the security tests check that no answer carries it.
  xPoweredBy: false,
};

/**
 * Answers carry balances, tokens and personal data: no cache may keep them (OWASP ASVS V14.3,
 * the REST Security Cheat Sheet). A shared cache must not store an answer to a request with
 * Authorization anyway (RFC 9111 §3.5), but a browser's own cache may, and the sign-in and refresh
 * answers carry tokens without the request having one.
 */
export const CACHE_CONTROL = 'no-store';

/**
 * Adds Permissions-Policy and Cache-Control, and swaps in the docs CSP under /api/docs. Called by
 * the first request hook (http-hooks.ts), so every answer carries them, the hooks' own 503s
 * included: one hook for all three instead of hooks of their own (each Fastify hook is a step on
 * every request).
 */
export function addSecurityHeaderExtras(url: string, res: ServerResponse): void {
  res.setHeader('permissions-policy', PERMISSIONS_POLICY);
  res.setHeader('cache-control', CACHE_CONTROL);
  if (url.startsWith(DOCS_PREFIX)) res.setHeader('content-security-policy', DOCS_CSP);
}
