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
import { IP_THROTTLER, SharedThrottlerStorage } from '../throttling/shared-throttler.storage';
import { ipSubject } from '../throttling/subjects';
import { clientIp } from '../throttling/throttlers';
import { IpProtectionService } from './ip-protection.service';

@Injectable()
export class UnmatchedRouteLimiter implements OnApplicationBootstrap {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: AppConfig,
    private readonly storage: SharedThrottlerStorage,
    private readonly ipProtection: IpProtectionService,
    private readonly metrics: MetricsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.get('ENABLE_RATE_LIMITING')) return;
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    const { limit, windowMs } = this.config.get('IP_BLOCK_THRESHOLD');
    const blockMs = this.config.get('IP_BLOCK_DURATION_S') * 1000;
    // A callback hook, not an async one: matched requests (nearly all) pass through without a
    // promise or a microtask hop; only unmatched ones pay for the store round trip.
    fastify.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
      if (!req.is404) return done(); // matched: the guard counts it
      const ip = clientIp(req);
      this.storage.increment(ipSubject(ip), windowMs, limit, blockMs, IP_THROTTLER).then(
        (record) => {
          if (!record.isBlocked) return done();
          if (record.blockedNow) this.ipProtection.blockStarted(ip, record.timeToBlockExpire);
          sendProblem(req, reply, this.ipProtection.blockedError(record.timeToBlockExpire), this.logger, this.metrics);
        },
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      );
    });
  }
}
