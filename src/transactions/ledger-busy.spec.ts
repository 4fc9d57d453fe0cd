import { isLedgerBusy, ledgerBusy } from './ledger-busy';

describe('busy-ledger errors become 503, everything else stays itself', () => {
  it.each([
    ['a serialization failure', { code: '40001' }],
    ['a deadlock (TypeORM QueryFailedError shape)', { driverError: { code: '40P01' } }],
    ['a lock timeout', { code: '55P03' }],
    ['a statement timeout', { code: '57014' }],
    ['an exhausted pool', new Error('timeout exceeded when trying to connect')],
  ])('%s is busy', (_label, err) => {
    expect(isLedgerBusy(err)).toBe(true);
  });

  it.each([
    ['a check violation', { code: '23514' }],
    ['a unique violation', { driverError: { code: '23505' } }],
    ['a plain error', new Error('boom')],
    ['undefined', undefined],
  ])('%s is not', (_label, err) => {
    expect(isLedgerBusy(err)).toBe(false);
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After', () => {
    expect(ledgerBusy()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, headers: { 'Retry-After': '1' } });
  });
});
