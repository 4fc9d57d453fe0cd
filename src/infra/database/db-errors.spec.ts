import { QueryRunnerAlreadyReleasedError } from 'typeorm/error/QueryRunnerAlreadyReleasedError';
import { QueryRunnerProviderAlreadyReleasedError } from 'typeorm/error/QueryRunnerProviderAlreadyReleasedError';
import { CommitOutcomeUnknownError, databaseFault, isConnectionFault, isDatabaseUnavailable } from './db-errors';

describe('database faults', () => {
  it.each([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'unreachable'],
    ['open circuit breaker', Object.assign(new Error('Breaker is open'), { code: 'EOPENBREAKER' }), 'unreachable'],
    ['server starting up', { code: '57P03', message: 'the database system is starting up' }, 'unreachable'],
    ['too many connections', { code: '53300' }, 'unreachable'],
    ['pool checkout timeout', new Error('timeout exceeded when trying to connect'), 'unreachable'],
    ['connect timeout', new Error('Connection terminated due to connection timeout'), 'unreachable'],
    ['admin shutdown (a restart)', { code: '57P01', message: 'terminating connection due to administrator command' }, 'lost'],
    ['connection exception in a TypeORM wrapper', { driverError: { code: '08006', message: 'connection failure' } }, 'lost'],
    ['reset socket', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'lost'],
    ['terminated connection', new Error('Connection terminated unexpectedly'), 'lost'],
    ['client no longer queryable', new Error('Client has encountered a connection error and is not queryable'), 'lost'],
    ['runner released by its dead connection (PITFALLS §9)', new QueryRunnerAlreadyReleasedError(), 'lost'],
    ['entity manager of a runner released by its dead connection (soak seed 15)', new QueryRunnerProviderAlreadyReleasedError(), 'lost'],
    ['unknown commit outcome', new CommitOutcomeUnknownError(new Error('Connection terminated unexpectedly')), 'lost'],
    ['client-side query deadline', new Error('Query read timeout'), 'timeout'],
    ['serialization failure after retries', { code: '40001' }, 'busy'],
    ['deadlock after retries', { driverError: { code: '40P01' } }, 'busy'],
    ['lock timeout', { code: '55P03' }, 'busy'],
    ['statement timeout', { driverError: { code: '57014', message: 'canceling statement due to statement timeout' } }, 'busy'],
    ['disk full', { driverError: { code: '53100', message: 'could not extend file' } }, 'busy'],
    ['out of memory', { code: '53200' }, 'busy'],
    ['I/O error', { code: '58030' }, 'busy'],
  ])('%s is %s', (_name, err, kind) => {
    expect(databaseFault(err)).toBe(kind);
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['unique violation', { code: '23505' }],
    ['check violation', { driverError: { code: '23514' } }],
    ['a plain bug', new TypeError('x is undefined')],
    ['a string', 'Connection terminated'],
    ['nothing', undefined],
  ])('%s is not a database fault', (_name, err) => {
    expect(databaseFault(err)).toBeUndefined();
    expect(isDatabaseUnavailable(err)).toBe(false);
  });

  it('only a dead or silent connection leaves what was sent on it in doubt', () => {
    expect(isConnectionFault(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionFault(new Error('Query read timeout'))).toBe(true);
    expect(isConnectionFault(new Error('timeout exceeded when trying to connect'))).toBe(false);
    expect(isConnectionFault({ code: '57014' })).toBe(false);
  });
});
