import { CommitOutcomeUnknownError } from '../database/db-errors';
import { DomainError } from '../http/domain-error';
import { StoreUnavailableError } from '../redis/resilient-store';
import { dependencyFault, serviceUnavailable, ServiceUnavailableError } from './dependency-fault';

describe('dependency faults: one classification for every answer path', () => {
  it('a database fault is a 503 SERVICE_UNAVAILABLE with Retry-After that says no more than is known', () => {
    const lost = serviceUnavailable(new Error('Connection terminated unexpectedly'));
    expect(lost).toBeInstanceOf(ServiceUnavailableError);
    expect(lost).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, headers: { 'Retry-After': '2' } });
    expect(lost?.fault).toEqual({ dependency: 'database', reason: 'lost', outcomeUnknown: false });
    expect(lost?.message).not.toMatch(/nothing was/);

    const busy = serviceUnavailable({ code: '57014' });
    expect(busy).toMatchObject({ status: 503, headers: { 'Retry-After': '1' } });
    expect(busy?.message).toMatch(/nothing was changed/);
  });

  it('an unknown commit outcome tells the client to retry with the same Idempotency-Key', () => {
    const unknown = serviceUnavailable(new CommitOutcomeUnknownError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })));
    expect(unknown?.fault.outcomeUnknown).toBe(true);
    expect(unknown?.message).toMatch(/same Idempotency-Key/);
  });

  it('Redis unavailable (fail-closed limiter) is a redis fault', () => {
    expect(dependencyFault(new StoreUnavailableError('no answer within 100 ms'))).toEqual({ dependency: 'redis', reason: 'unreachable', outcomeUnknown: false });
    expect(serviceUnavailable(new StoreUnavailableError('x'))).toMatchObject({ status: 503, headers: { 'Retry-After': '1' } });
  });

  it('an already-made answer keeps its fault; domain errors and bugs are not faults', () => {
    const made = serviceUnavailable({ code: '08006' });
    expect(serviceUnavailable(made)).toBe(made);
    expect(dependencyFault(made)).toEqual(made?.fault);
    expect(dependencyFault(new DomainError('SERVICE_UNAVAILABLE', 503, 'shutting down'))).toBeUndefined();
    expect(dependencyFault(new DomainError('NOT_FOUND', 404, 'x'))).toBeUndefined();
    expect(serviceUnavailable(new TypeError('x is undefined'))).toBeUndefined();
    expect(serviceUnavailable({ code: '23505' })).toBeUndefined();
  });
});
