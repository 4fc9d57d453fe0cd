/**
 * The issue time a revocation is compared with (revocation-state.ts): `ims` (ms) from tokens
 * signed now, whose `iat` is whole seconds; `iat` alone from tokens signed before `ims` existed,
 * whose `iat` carried the milliseconds as a fraction.
 */
import { issuedAtMs } from './token.service';

describe('issuedAtMs', () => {
  it('takes ims when it lies within the iat second', () => {
    expect(issuedAtMs({ iat: 1_796_336_790, ims: 1_796_336_790_414 })).toBe(1_796_336_790_414);
    expect(issuedAtMs({ iat: 1_796_336_790, ims: 1_796_336_790_000 })).toBe(1_796_336_790_000);
  });

  it('falls back to iat when ims is missing, fractional or outside the iat second', () => {
    expect(issuedAtMs({ iat: 1_796_336_790.414 })).toBe(1_796_336_790_414); // a token of the earlier format
    expect(issuedAtMs({ iat: 1_796_336_790, ims: 1_796_336_791_000 })).toBe(1_796_336_790_000);
    expect(issuedAtMs({ iat: 1_796_336_790, ims: 1_796_336_789_999 })).toBe(1_796_336_790_000);
    expect(issuedAtMs({ iat: 1_796_336_790, ims: 1_796_336_790_414.5 })).toBe(1_796_336_790_000);
    expect(issuedAtMs({ iat: 1_796_336_790, ims: '1796336790414' })).toBe(1_796_336_790_000);
  });

  it('treats a token without iat as issued at the epoch (every revocation applies to it)', () => {
    expect(issuedAtMs({})).toBe(0);
    expect(issuedAtMs({ ims: 1_796_336_790_414 })).toBe(0);
  });
});
