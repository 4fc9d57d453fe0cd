/**
 * The named throttlers of the global ThrottlingGuard and the helpers both share.
 * - `ip`: IP_BLOCK_THRESHOLD per client IP across all routes (key `ip:<clientIp>`, no route in
 *   it), blockDuration IP_BLOCK_DURATION_S.
 * - `route`: the @RateLimit budget of the route (limit/ttl from RATE_LIMIT_<BUDGET>); skipped on
 *   routes without @RateLimit, so they cost no Redis call for it.
 */
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import { normalizeIp, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../../config/config.service';
import { HandlerMetadata } from '../../infra/http/handler-metadata';
import { RATE_LIMIT_KEY, type RateLimitBudget } from './rate-limit.decorator';
import { IP_THROTTLER, ROUTE_THROTTLER, type SharedThrottlerStorage } from './shared-throttler.storage';
import { ipSubject } from './subjects';

const budgets = HandlerMetadata.of<RateLimitBudget>(new Reflector(), RATE_LIMIT_KEY);

/** The @RateLimit budget of the handler (or its controller), read once per handler. */
export function budgetOf(context: ExecutionContext): RateLimitBudget | undefined {
  return budgets.get(context);
}

/** The client IP Fastify derived (X-Forwarded-For only from TRUST_PROXY); IPv6 reduced to its /64. */
export function clientIp(req: Pick<FastifyRequest, 'ip'>): string {
  return normalizeIp(req.ip);
}

/**
 * The client IP of a request Fastify never sees (a Socket.IO handshake: engine.io answers it on
 * the Node server first), derived as Fastify derives `request.ip` from the same TRUST_PROXY list.
 */
export function rawClientIp(trustProxy: string[]): (req: IncomingMessage) => string {
  if (trustProxy.length === 0) return (req) => normalizeIp(req.socket.remoteAddress ?? '');
  const trusted = proxyAddr.compile(trustProxy);
  return (req) => normalizeIp(proxyAddr(req, trusted));
}

export function throttlerOptions(config: AppConfig, storage: SharedThrottlerStorage): ThrottlerModuleOptions {
  const ip = config.get('IP_BLOCK_THRESHOLD');
  const budget = (context: ExecutionContext) => {
    const name = budgetOf(context) ?? 'status';
    return config.get(`RATE_LIMIT_${name.toUpperCase()}` as 'RATE_LIMIT_STATUS');
  };
  return {
    storage,
    setHeaders: false,
    throttlers: [
      {
        name: IP_THROTTLER,
        limit: ip.limit,
        ttl: ip.windowMs,
        blockDuration: config.get('IP_BLOCK_DURATION_S') * 1000,
        getTracker: (req) => ipSubject(clientIp(req as FastifyRequest)),
        generateKey: (_context, tracker) => tracker,
      },
      {
        name: ROUTE_THROTTLER,
        limit: (context) => budget(context).limit,
        ttl: (context) => budget(context).windowMs,
        skipIf: (context) => budgetOf(context) === undefined,
      },
    ],
  };
}
