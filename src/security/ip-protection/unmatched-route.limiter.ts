/**
 * Requests to routes that do not exist never reach a guard, so the throttling guard's `ip`
 * throttler would not count them and a 404 flood would never block its IP. This Fastify hook
 * counts exactly those (unmatched) requests against the same `ip:<clientIp>` window, with the
 * same threshold and block, so every request of a client IP counts once, matched or not.
 */
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { AppConfig } from '../../config/config.service';
import { sendProblem } from '../../infra/http/problem.filter';
import { LOGGER } from '../../infra/logging/logging.module';
import { MetricsService } from '../../metrics/metrics.service';
import { clientIp } from '../throttling/throttlers';
import { IpProtectionService } from './ip-protection.service';

@Injectable()
export class UnmatchedRouteLimiter implements OnApplicationBootstrap {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: AppConfig,
    private readonly ipProtection: IpProtectionService,
    private readonly metrics: MetricsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.get('ENABLE_RATE_LIMITING')) return;
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    // A callback hook, not an async one: matched requests (nearly all) pass through without a
    // promise or a microtask hop; only unmatched ones pay for the store round trip.
    fastify.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
      if (!req.is404) return done(); // matched: the guard counts it
      this.ipProtection.admit(clientIp(req)).then(
        (refusal) => (refusal ? sendProblem(req, reply, refusal, this.logger, this.metrics) : done()),
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      );
    });
  }
}
