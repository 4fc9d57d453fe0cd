/**
 * Which requests the global ThrottlingGuard counts, wired as in SecurityModule (APP_GUARD with the
 * real throttler options of throttlers.ts) in a Nest testing module. The storage and the budget
 * service are recording stand-ins: the counting itself is tested against Redis in
 * test/security; here only the guard's decisions matter (skip, IP throttler, route budget).
 */
import { Controller, Get, Req } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { getOptionsToken, getStorageToken, SkipThrottle } from '@nestjs/throttler';
import { AppConfig } from '../../config/config.service';
import { parseConfig } from '../../config/config.schema';
import { TokenService } from '../../auth/token.service';
import type { Logger } from 'pino';
import { MetricsService } from '../../metrics/metrics.service';
import { AuditService } from '../audit/audit.service';
import { IpProtectionService } from '../ip-protection/ip-protection.service';
import { RateLimit } from './rate-limit.decorator';
import { budgetRefusalOf, ReplaysOverBudget } from './budget-refusal';
import { RateLimitService } from './rate-limit.service';
import { SharedThrottlerStorage } from './shared-throttler.storage';
import { throttlerOptions } from './throttlers';
import { ThrottlingGuard } from './throttling.guard';
import { httpApp } from '../../../test/nest-unit/http-app';

@Controller()
class ProbeController {
  @Get('health/live')
  live() {
    return 'live';
  }

  @Get('metrics')
  metrics() {
    return 'metrics';
  }

  @Get('plain')
  plain() {
    return 'plain';
  }

  @SkipThrottle()
  @Get('skipped')
  skipped() {
    return 'skipped';
  }

  @RateLimit('status')
  @Get('budgeted')
  budgeted() {
    return 'budgeted';
  }

  @RateLimit('transfers')
  @Get('movement')
  movement() {
    return 'moved';
  }

  // Customised by decorator: the library's own loop (the `ip` throttler skipped here).
  @SkipThrottle({ ip: true })
  @RateLimit('status')
  @Get('budget-only')
  budgetOnly() {
    return 'budget only';
  }

  @RateLimit('transfers')
  @ReplaysOverBudget()
  @Get('replayable')
  replayable(@Req() req: object) {
    return budgetRefusalOf(req) ? `replay only, else ${budgetRefusalOf(req)!.status}` : 'within budget';
  }
}

async function guardedApp(env: Record<string, string>) {
  const config = new AppConfig(parseConfig({ NODE_ENV: 'test', ...env }));
  const increments: { key: string; throttler: string }[] = [];
  const consumed: { budget: string; subject: string; route: string }[] = [];
  const state = { spent: false, ipBlocked: false };
  const storage = {
    increment: async (key: string, ttl: number, _limit: number, _block: number, throttler: string) => {
      increments.push({ key, throttler });
      return { totalHits: 1, timeToExpire: ttl / 1000, isBlocked: state.ipBlocked, timeToBlockExpire: state.ipBlocked ? 900 : 0, blockedNow: false };
    },
  } as unknown as SharedThrottlerStorage;
  const rateLimits = {
    consume: async (budget: string, subject: string, route: string) => {
      consumed.push({ budget, subject, route });
      return state.spent ? { allowed: false, limit: 60, remaining: 0, resetSeconds: 60 } : { allowed: true, limit: 60, remaining: 59, resetSeconds: 60 };
    },
  };
  const http = await httpApp(
    [ProbeController],
    [
      { provide: AppConfig, useValue: config },
      { provide: getStorageToken(), useValue: storage },
      { provide: getOptionsToken(), useValue: throttlerOptions(config, storage) },
      { provide: RateLimitService, useValue: rateLimits },
      // The real service over the recording storage: the guard counts the IP window through it.
      {
        provide: IpProtectionService,
        useValue: new IpProtectionService(
          storage,
          {} as AuditService,
          { counter: () => ({ inc: () => undefined }) } as unknown as MetricsService,
          config,
          { warn: () => undefined } as unknown as Logger,
        ),
      },
      { provide: TokenService, useValue: { verifyAccess: () => undefined } },
      { provide: APP_GUARD, useClass: ThrottlingGuard },
    ],
  );
  return { http, increments, consumed, budget: state };
}

describe('ThrottlingGuard (default settings: rate limiting on)', () => {
  let app: Awaited<ReturnType<typeof guardedApp>>;
  beforeAll(async () => {
    app = await guardedApp({});
  });
  afterAll(() => app.http.app.close());
  beforeEach(() => {
    app.increments.length = 0;
    app.consumed.length = 0;
    app.budget.spent = false;
    app.budget.ipBlocked = false;
  });

  it('counts an ordinary request once, against the client IP only', async () => {
    expect((await app.http.inject('GET', '/plain')).status).toBe(200);
    expect(app.increments).toEqual([{ key: 'ip:127.0.0.1', throttler: 'ip' }]);
    expect(app.consumed).toEqual([]); // no @RateLimit: no route budget
  });

  it('never counts probes, /metrics or @SkipThrottle() routes', async () => {
    for (const url of ['/health/live', '/metrics', '/skipped']) expect((await app.http.inject('GET', url)).status).toBe(200);
    expect(app.increments).toEqual([]);
    expect(app.consumed).toEqual([]);
  });

  it('charges a @RateLimit route to its budget, keyed by IP without a token, and sets RateLimit headers', async () => {
    const res = await app.http.inject('GET', '/budgeted');
    expect(res.status).toBe(200);
    expect(app.increments).toEqual([{ key: 'ip:127.0.0.1', throttler: 'ip' }]);
    expect(app.consumed).toEqual([{ budget: 'status', subject: 'ip:127.0.0.1', route: '/budgeted' }]);
    expect(res.headers['ratelimit-remaining']).toBe('59');
  });

  it('refuses a blocked IP before its route budget is charged', async () => {
    app.budget.ipBlocked = true;
    const res = await app.http.inject('GET', '/movement');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('IP_BLOCKED');
    expect(app.increments).toEqual([{ key: 'ip:127.0.0.1', throttler: 'ip' }]);
    expect(app.consumed).toEqual([]);
  });

  it("takes the library's loop on a route that customises a throttler by decorator", async () => {
    const res = await app.http.inject('GET', '/budget-only');
    expect(res.status).toBe(200);
    expect(app.increments).toEqual([]); // @SkipThrottle({ ip: true }) honoured
    expect(app.consumed).toEqual([{ budget: 'status', subject: 'ip:127.0.0.1', route: '/budget-only' }]);
    expect(res.headers['ratelimit-remaining']).toBe('59');
  });

  describe('over a spent budget (budget-refusal.ts)', () => {
    const keyed = { 'idempotency-key': 'k-1' };

    it('refuses with 429, key or not, on a handler not marked @ReplaysOverBudget()', async () => {
      app.budget.spent = true;
      for (const headers of [{}, keyed]) {
        const res = await app.http.inject('GET', '/movement', undefined, headers);
        expect(res.status).toBe(429);
        expect(res.body.code).toBe('RATE_LIMIT_EXCEEDED');
      }
    });

    it('hands a keyed request to a marked handler with its 429 attached; without a key it is refused', async () => {
      app.budget.spent = true;
      const keyedRes = await app.http.inject('GET', '/replayable', undefined, keyed);
      expect(keyedRes.status).toBe(200);
      expect(keyedRes.text).toBe('replay only, else 429');
      expect(keyedRes.headers['ratelimit-remaining']).toBe('0');
      expect((await app.http.inject('GET', '/replayable')).status).toBe(429);
    });

    it('attaches nothing within the budget', async () => {
      const res = await app.http.inject('GET', '/replayable', undefined, keyed);
      expect(res.text).toBe('within budget');
    });
  });
});

describe('ThrottlingGuard with ENABLE_RATE_LIMITING=false', () => {
  // Non-default on purpose: the switch itself is under test (the default is covered above).
  it('counts nothing at all', async () => {
    const app = await guardedApp({ ENABLE_RATE_LIMITING: 'false' });
    try {
      for (const url of ['/plain', '/budgeted']) expect((await app.http.inject('GET', url)).status).toBe(200);
      expect(app.increments).toEqual([]);
      expect(app.consumed).toEqual([]);
    } finally {
      await app.http.app.close();
    }
  });
});
