import { isDatabaseUnavailable } from './db-errors';

describe('database unavailability', () => {
  it.each([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['open circuit breaker', Object.assign(new Error('Breaker is open'), { code: 'EOPENBREAKER' })],
    ['admin shutdown', { code: '57P01', message: 'terminating connection due to administrator command' }],
    ['connection exception in a TypeORM wrapper', { driverError: { code: '08006', message: 'connection failure' } }],
    ['too many connections', { code: '53300' }],
    ['terminated connection', new Error('Connection terminated unexpectedly')],
    ['pool wait timeout', new Error('timeout exceeded when trying to connect')],
  ])('treats %s as unavailable', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['unique violation', { code: '23505' }],
    ['check violation', { driverError: { code: '23514' } }],
    ['a plain bug', new TypeError('x is undefined')],
    ['nothing', undefined],
  ])('does not treat %s as unavailable', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });
});
