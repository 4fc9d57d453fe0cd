/**
 * The global ProblemFilter inside a Nest testing module on Fastify: every kind of thrown error
 * leaves as RFC 9457 problem+json with the right status and stable code, a 500 says nothing
 * about its cause (it is logged instead), and errors_total counts each code.
 */
import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { DomainError } from './domain-error';
import { MetricsService } from '../../metrics/metrics.service';
import { httpApp, type HttpApp } from '../../../test/nest-unit/http-app';

const CAUSE = 'connect ECONNREFUSED select password_hash from users';

@Controller('fail')
class FailingController {
  @Get('domain')
  domain() {
    throw new DomainError('INSUFFICIENT_FUNDS', 422, 'Balance too low', undefined, { 'Retry-After': '7' });
  }

  @Get('throttled')
  throttled() {
    throw new ThrottlerException();
  }

  @Get('nest')
  nest() {
    throw new ServiceUnavailableException('Try later');
  }

  @Get('crash')
  crash() {
    throw new Error(CAUSE);
  }

}

describe('ProblemFilter', () => {
  let http: HttpApp;
  beforeAll(async () => {
    http = await httpApp([FailingController]);
  });
  afterAll(() => http.app.close());

  it('renders a DomainError with its status, code, detail and headers', async () => {
    const res = await http.inject('GET', '/fail/domain?x=1');
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.headers['retry-after']).toBe('7');
    expect(res.body).toMatchObject({ status: 422, code: 'INSUFFICIENT_FUNDS', detail: 'Balance too low', instance: '/fail/domain' });
    expect(res.body.type).toBe('https://bulwark.dev/problems/insufficient-funds');
  });

  it('maps the throttler exception to 429 RATE_LIMIT_EXCEEDED and Nest exceptions by status', async () => {
    expect((await http.inject('GET', '/fail/throttled')).body).toMatchObject({ status: 429, code: 'RATE_LIMIT_EXCEEDED' });
    expect((await http.inject('GET', '/fail/nest')).body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', detail: 'Try later' });
  });

  it('answers an unknown route with 404 NOT_FOUND "No such route"', async () => {
    const res = await http.inject('GET', '/no/such/route');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'NOT_FOUND', detail: 'No such route' });
  });

  it('hides the cause of a crash behind 500 INTERNAL and logs it with the request', async () => {
    const res = await http.inject('GET', '/fail/crash');
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ code: 'INTERNAL', detail: 'An unexpected error occurred' });
    expect(res.text).not.toContain('ECONNREFUSED');
    expect(res.text).not.toContain('password_hash');
    expect(res.text).not.toMatch(/at .+\.ts:\d+/); // no stack
    const logged = http.logs.find((l) => l.msg === 'request failed' && l.url === '/fail/crash');
    expect(logged).toMatchObject({ level: 50, url: '/fail/crash', method: 'GET' });
    expect(JSON.stringify(logged)).toContain(CAUSE);
  });

  it('counts every error response in errors_total by code', async () => {
    const metrics = http.app.get(MetricsService);
    const count = async () => (await metrics.errorsTotal.get()).values.find((v) => v.labels.code === 'INSUFFICIENT_FUNDS')?.value ?? 0;
    const before = await count();
    await http.inject('GET', '/fail/domain');
    await http.inject('GET', '/fail/domain');
    expect((await count()) - before).toBe(2);
  });
});
