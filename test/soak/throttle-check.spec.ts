/** The soak's throttling verdict: exact without outages, the documented fail-open allowance with them. */
import type { OpRecord } from '../../soak/client';
import { checkThrottling, type Budget } from '../../soak/throttle-check';

const budget: Budget = { name: 'bid', limit: 3, windowMs: 60_000, matches: (op) => op.kind === 'bid' };

function bid(id: number, at: number, status: number, pid = 100): OpRecord {
  return {
    id,
    kind: 'bid',
    method: 'POST',
    path: '/bids',
    userId: 'u1',
    start: at,
    end: at + 10,
    status,
    attempts: [{ replica: 'replica-1', pid, start: at, end: at + 10, status }],
  };
}

describe('soak throttling check', () => {
  it('accepts exactly the budget in a window and names the first answer over it', () => {
    const fine = [bid(1, 0, 201), bid(2, 1000, 422), bid(3, 2000, 201), bid(4, 3000, 429), bid(5, 4000, 503)];
    expect(checkThrottling(fine, [budget], [], [])[0].firstOffending).toBeUndefined();
    const over = [...fine, bid(6, 5000, 201)];
    const [finding] = checkThrottling(over, [budget], [], []);
    expect(finding.firstOffending?.id).toBe(6);
    expect(finding.boundInWindow).toBe(3);
  });

  it('only counts answers whose whole interval lies inside one window', () => {
    const spread = [bid(1, 0, 201), bid(2, 1000, 201), bid(3, 2000, 201), bid(4, 60_000, 201)];
    expect(checkThrottling(spread, [budget], [], [])[0].firstOffending).toBeUndefined();
  });

  it('allows one more budget per Redis restart and up to one budget per process counting locally', () => {
    const hits = [0, 1, 2, 3, 4, 5].map((i) => bid(i + 1, i * 1000, 201, i < 3 ? 100 : 200));
    expect(checkThrottling(hits, [budget], [], [])[0].firstOffending).toBeDefined();
    expect(checkThrottling(hits, [budget], [2500], [])[0].firstOffending).toBeUndefined();
    // pid 200 counted locally from 2.5 s: its 3 hits are within its own budget
    expect(
      checkThrottling(hits, [budget], [], [{ pid: 200, from: 2_500, to: 10_000 }])[0].firstOffending,
    ).toBeUndefined();
    // answers no sooner than the limiter's 100 ms deadline may have been decided locally by their process
    const late = hits.map((h, i) =>
      i >= 3 ? { ...h, end: h.start + 150, attempts: [{ ...h.attempts[0], end: h.start + 150 }] } : h,
    );
    expect(checkThrottling(late, [budget], [], [])[0].firstOffending).toBeUndefined();
    const seven = [...hits, bid(7, 6000, 201, 200)];
    expect(checkThrottling(seven, [budget], [], [{ pid: 200, from: 2_500, to: 10_000 }])[0].firstOffending?.id).toBe(7);
  });

  it('allows, per primary failover, the hits in flight within 1 s before the kill (lost at promotion: L)', () => {
    // 3 hits acknowledged just before the kill at 2.5 s, then 3 more on the promoted primary
    const hits = [1800, 2000, 2200, 4000, 5000, 6000].map((t, i) => bid(i + 1, t, 201));
    expect(checkThrottling(hits, [budget], [], [])[0].firstOffending?.id).toBe(4);
    const [finding] = checkThrottling(hits, [budget], [], [], [2500]);
    expect(finding.firstOffending).toBeUndefined();
    expect(finding.boundInWindow).toBe(6);
    // a failover long before the window's hits excuses nothing, and a seventh hit is still caught
    expect(checkThrottling(hits, [budget], [], [], [500])[0].firstOffending?.id).toBe(4);
    const seven = [...hits, bid(7, 7000, 201)];
    expect(checkThrottling(seven, [budget], [], [], [2500])[0].firstOffending?.id).toBe(7);
  });
});
