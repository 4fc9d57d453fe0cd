/**
 * The ONE global throttling guard (APP_GUARD, never also @UseGuards: binding twice counts twice).
 * A ThrottlerGuard with two named throttlers (see throttlers.ts), checked in this order:
 *  1. `ip`: every request except probes and /metrics, keyed `ip:<clientIp>` without the route;
 *     over IP_BLOCK_THRESHOLD the IP gets 403 IP_BLOCKED on every route for IP_BLOCK_DURATION_S.
 *  2. `route`: only routes with @RateLimit(budget), through RateLimitService (the same keys as the
 *     Socket.IO gateway), 429 RATE_LIMIT_EXCEEDED with Retry-After and RateLimit-* headers.
 * Each applicable throttler costs one atomic script on Redis; nothing else touches Redis.
 *
 * This guard is registered before the auth guard, so a blocked IP is refused before its token is
 * looked at; the user of a route budget therefore comes from the access token verified here.
 * The client IP is Fastify's `request.ip`, which believes X-Forwarded-For only from TRUST_PROXY.
 */
import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../../config/config.service';
import { cachingReflector, HandlerMetadata } from '../../infra/http/handler-metadata';
import { routeTemplate } from '../../infra/http/route-template';
import type { AuthUser } from '../../auth/auth-user';
import { bearerToken } from '../../auth/guards/jwt-auth.guard';
import { TokenService } from '../../auth/token.service';
import { IpProtectionService } from '../ip-protection/ip-protection.service';
import type { RateLimitBudget } from './rate-limit.decorator';
import { RateLimitService } from './rate-limit.service';
import { IP_THROTTLER, ROUTE_THROTTLER, SharedThrottlerStorage, type SharedThrottlerRecord } from './shared-throttler.storage';
import { rateLimitHeaders, isExemptRoute, signinSubject, userSubject, ipSubject } from './subjects';
import { budgetOf, clientIp } from './throttlers';
import { attachBudgetRefusal, REPLAYS_OVER_BUDGET_KEY } from './budget-refusal';

type Request = FastifyRequest & { user?: AuthUser; body?: { email?: unknown } };

/** Its format is the controller's to check (400), as for any keyed request. */
const hasIdempotencyKey = (req: Request): boolean => req.headers['idempotency-key'] !== undefined;

@Injectable()
export class ThrottlingGuard extends ThrottlerGuard {
  private readonly enabled: boolean;
  private readonly skipAll: HandlerMetadata<boolean>;
  /** Routes that opt out of, or override, a named throttler by decorator take the library's loop. */
  private readonly customised: HandlerMetadata<boolean>;
  /** @ReplaysOverBudget() handlers (money movements): see budget-refusal.ts. */
  private readonly replaysOverBudget: HandlerMetadata<boolean>;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() private readonly sharedStorage: SharedThrottlerStorage,
    reflector: Reflector,
    config: AppConfig,
    private readonly rateLimits: RateLimitService,
    private readonly ipProtection: IpProtectionService,
    private readonly tokens: TokenService,
  ) {
    // The base guard reads five metadata keys per throttler on every request: cache them.
    super(options, sharedStorage, cachingReflector(reflector));
    this.enabled = config.get('ENABLE_RATE_LIMITING');
    // A bare @SkipThrottle() opts a route out of every throttler.
    this.skipAll = HandlerMetadata.of<boolean>(reflector, 'THROTTLER:SKIPdefault');
    this.replaysOverBudget = HandlerMetadata.of<boolean>(reflector, REPLAYS_OVER_BUDGET_KEY);
    const keys = ['THROTTLER:SKIP', 'THROTTLER:LIMIT', 'THROTTLER:TTL', 'THROTTLER:BLOCK_DURATION', 'THROTTLER:TRACKER', 'THROTTLER:KEY_GENERATOR'];
    this.customised = new HandlerMetadata<boolean>((context) =>
      [IP_THROTTLER, ROUTE_THROTTLER].some((name) =>
        keys.some((key) => reflector.getAllAndOverride<unknown>(key + name, [context.getHandler(), context.getClass()]) !== undefined),
      ),
    );
  }

  /**
   * Skipped routes (probes, /metrics, @SkipThrottle) answer synchronously: no promise, no await.
   * Nest's guard consumer takes a plain boolean; only the base class's signature says Promise.
   */
  override canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.skips(context)) return true as unknown as Promise<boolean>;
    if (this.customised.get(context)) return super.canActivate(context);
    // Each throttler that applies is one storage call, in the library's order: the IP first, so a
    // blocked IP spends no budget. The library's loop would add ~15 promises per request
    // (awaited option values, tracker and key, per throttler) and compute nothing we use.
    const req = context.switchToHttp().getRequest<Request>();
    const budget = budgetOf(context);
    return this.ipProtection.admit(clientIp(req)).then((refusal) => {
      if (refusal) throw refusal;
      return budget === undefined ? true : this.chargeBudget(context, req, budget);
    });
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return this.skips(context);
  }

  private skips(context: ExecutionContext): boolean {
    // Socket.IO handlers call RateLimitService.consume themselves (guards do not fit sockets).
    if (!this.enabled || context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (isExemptRoute(routeTemplate(req))) return true;
    return this.skipAll.get(context) === true;
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const { context, throttler } = props;
    const req = context.switchToHttp().getRequest<Request>();
    if (throttler.name === IP_THROTTLER) {
      const key = props.generateKey(context, await props.getTracker(req, context), IP_THROTTLER);
      return this.ipAllows(req, await this.sharedStorage.increment(key, props.ttl, props.limit, props.blockDuration, IP_THROTTLER));
    }

    const budget = budgetOf(context);
    return budget === undefined ? true : this.chargeBudget(context, req, budget);
  }

  /** One hit of the route's @RateLimit budget: 429 over it, else the RateLimit-* headers. */
  private chargeBudget(context: ExecutionContext, req: Request, budget: RateLimitBudget): Promise<boolean> {
    return this.rateLimits.consume(budget, this.subjectOf(req, budget), routeTemplate(req) ?? 'unmatched').then((decision) => {
      if (!decision.allowed) {
        const refusal = RateLimitService.tooManyRequests(decision);
        // A keyed money request may be the retry of one that happened: the use case replays its
        // recorded answer or answers this 429 (budget-refusal.ts). Nothing new runs past the budget.
        if (this.replaysOverBudget.get(context) !== true || !hasIdempotencyKey(req)) throw refusal;
        attachBudgetRefusal(req, refusal);
      }
      void context.switchToHttp().getResponse<FastifyReply>().headers(rateLimitHeaders(decision));
      return true;
    });
  }

  /** True when the IP may go on; throws 403 IP_BLOCKED (and reports a block that starts now) otherwise. */
  private ipAllows(req: Request, record: SharedThrottlerRecord): boolean {
    const refusal = this.ipProtection.refusalFor(clientIp(req), record);
    if (refusal) throw refusal;
    return true;
  }

  /** The subject of a route budget: ip+email for sign-in, else the signed-in user, else the IP. */
  protected override async getTracker(req: Request, context?: ExecutionContext): Promise<string> {
    return this.subjectOf(req, context && budgetOf(context));
  }

  private subjectOf(req: Request, budget: RateLimitBudget | undefined): string {
    const ip = clientIp(req);
    if (budget === 'signin') return signinSubject(ip, req.body?.email);
    const user = req.user ?? this.userFromToken(req);
    return user ? userSubject(user.id) : ipSubject(ip);
  }

  private userFromToken(req: Request): AuthUser | undefined {
    const token = bearerToken(req.headers.authorization);
    if (!token) return undefined;
    try {
      return this.tokens.verifyAccess(token);
    } catch {
      return undefined; // counted by IP; the auth guard answers 401 where a token is required
    }
  }
}
