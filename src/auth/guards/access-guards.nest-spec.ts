/**
 * The three global guards of AuthModule, in its order (JwtAuthGuard, RolesGuard,
 * VerifiedEmailGuard), wired by a Nest testing module around a probe controller: what @Public,
 * @Roles (handler over controller) and @Verified let through, with real signed access tokens.
 */
import { Controller, Get } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule, JwtService } from '@nestjs/jwt';
import { AppConfig } from '../../config/config.service';
import { parseConfig } from '../../config/config.schema';
import type { AuthUser } from '../auth-user';
import { Public } from '../decorators/public.decorator';
import { Roles } from '../decorators/roles.decorator';
import { Verified } from '../decorators/verified.decorator';
import { RevocationService } from '../revocation/revocation.service';
import { TokenService } from '../token.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { RolesGuard } from './roles.guard';
import { VerifiedEmailGuard } from './verified-email.guard';
import { httpApp, type HttpApp } from '../../../test/nest-unit/http-app';

@Controller('staff')
@Roles('TELLER', 'ADMIN')
class StaffController {
  @Get('desk')
  desk() {
    return { ok: 'desk' };
  }

  @Roles('ADMIN') // the handler's roles replace the controller's
  @Get('vault')
  vault() {
    return { ok: 'vault' };
  }
}

@Controller('open')
class OpenController {
  @Public()
  @Get('ping')
  ping() {
    return { ok: 'ping' };
  }

  @Get('me')
  me() {
    return { ok: 'me' };
  }

  @Verified()
  @Get('payout')
  payout() {
    return { ok: 'payout' };
  }
}

const config = new AppConfig(parseConfig({ NODE_ENV: 'test' }));
let staleMs = 0;
const user = (roles: AuthUser['roles'], emailVerified = true): AuthUser => ({
  id: '00000000-0000-4000-8000-000000000001',
  email: 'ada@example.com',
  roles,
  privilegeLevel: 'BASIC',
  emailVerified,
});

describe('access guards (JwtAuthGuard → RolesGuard → VerifiedEmailGuard)', () => {
  let http: HttpApp;
  let tokens: TokenService;
  const get = (url: string, who?: AuthUser) =>
    http.inject('GET', url, undefined, who ? { authorization: `Bearer ${tokens.signAccess(who)}` } : {});

  beforeAll(async () => {
    http = await httpApp(
      [StaffController, OpenController],
      [
        { provide: AppConfig, useValue: config },
        TokenService,
        // Nothing is revoked here (revocation across replicas is tested black-box in test/auth);
        // only how far behind this replica's revocation list is can be set.
        { provide: RevocationService, useValue: { judge: (u: AuthUser) => ({ ok: true, user: u }), staleForMs: () => staleMs } },
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_GUARD, useClass: RolesGuard },
        { provide: APP_GUARD, useClass: VerifiedEmailGuard },
      ],
      [JwtModule.register({ secret: config.get('JWT_SECRET'), signOptions: { algorithm: 'HS256' }, verifyOptions: { algorithms: ['HS256'] } })],
    );
    tokens = http.app.get(TokenService);
  });
  afterAll(() => http.app.close());

  it('lets anyone reach a @Public route and asks for a token everywhere else', async () => {
    expect((await get('/open/ping')).body).toEqual({ ok: 'ping' });
    const res = await get('/open/me');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('UNAUTHENTICATED');
    expect((await get('/open/me', user(['CUSTOMER']))).body).toEqual({ ok: 'me' });
  });

  it('refuses a token signed with another secret', async () => {
    const other = new JwtService({ secret: 'another-secret-of-enough-length-0123456789' });
    const forged = await http.inject('GET', '/open/me', undefined, { authorization: `Bearer ${other.sign({ sub: 'x' })}` });
    expect(forged.status).toBe(401);
  });

  it('admits a controller-level role and refuses other roles with 403 FORBIDDEN', async () => {
    expect((await get('/staff/desk', user(['TELLER']))).body).toEqual({ ok: 'desk' });
    const customer = await get('/staff/desk', user(['CUSTOMER']));
    expect(customer.status).toBe(403);
    expect(customer.body).toMatchObject({ code: 'FORBIDDEN', instance: '/staff/desk' });
  });

  it('lets a handler-level @Roles replace the controller-level one', async () => {
    expect((await get('/staff/vault', user(['TELLER']))).status).toBe(403);
    expect((await get('/staff/vault', user(['ADMIN']))).body).toEqual({ ok: 'vault' });
    expect((await get('/staff/vault', user(['CUSTOMER', 'ADMIN']))).status).toBe(200); // any one role suffices
  });

  it('answers 403 EMAIL_NOT_VERIFIED on a @Verified route to an unverified caller only', async () => {
    const unverified = await get('/open/payout', user(['CUSTOMER'], false));
    expect(unverified.status).toBe(403);
    expect(unverified.body.code).toBe('EMAIL_NOT_VERIFIED');
    expect((await get('/open/payout', user(['CUSTOMER'], true))).body).toEqual({ ok: 'payout' });
    expect((await get('/open/me', user(['CUSTOMER'], false))).status).toBe(200); // unmarked routes don't care
  });

  it('checks roles before the email: an unverified customer on an admin route gets FORBIDDEN', async () => {
    const res = await get('/staff/vault', user(['CUSTOMER'], false));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN');
  });

  it('answers 503 on a role route while revocations are staler than REVOCATION_MAX_STALENESS_MS', async () => {
    staleMs = config.get('REVOCATION_MAX_STALENESS_MS') + 1;
    try {
      const res = await get('/staff/vault', user(['ADMIN']));
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect((await get('/open/me', user(['CUSTOMER']))).status).toBe(200); // routes without @Roles still serve customers
      // ...but not staff: a teller's reach over customers' accounts comes from the role itself.
      for (const roles of [['TELLER'], ['ADMIN'], ['CUSTOMER', 'TELLER']] as AuthUser['roles'][]) {
        const staff = await get('/open/me', user(roles));
        expect({ roles, status: staff.status, code: staff.body.code }).toEqual({ roles, status: 503, code: 'SERVICE_UNAVAILABLE' });
      }
      staleMs = config.get('REVOCATION_MAX_STALENESS_MS'); // at the bound, not past it
      expect((await get('/open/me', user(['TELLER']))).status).toBe(200);
    } finally {
      staleMs = 0;
    }
  });
});
