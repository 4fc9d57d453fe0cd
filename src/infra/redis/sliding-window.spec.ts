import { recordHit, slidingWindow, windowUsage } from './sliding-window';

/** Hits one subject at each time of `times` (ms) against limit/window; returns the allowed flags. */
function run(times: number[], limit: number, windowMs: number): boolean[] {
  const hits: number[] = [];
  return times.map((t) => recordHit(hits, t, limit, windowMs).allowed);
}

describe('sliding window arithmetic', () => {
  it.each([
    // [description, hit times, limit, window, expected allowed]
    ['allows exactly `limit` hits inside one window', [0, 1, 2, 3], 3, 1000, [true, true, true, false]],
    ['frees a slot exactly when the oldest hit is windowMs old (that hit has left)', [0, 1, 2, 1000], 3, 1000, [true, true, true, true]],
    ['still refuses 1 ms before the oldest hit leaves', [0, 1, 2, 999], 3, 1000, [true, true, true, false]],
    ['frees only as many slots as hits that left', [0, 0, 500, 1000, 1000, 1000], 3, 1000, [true, true, true, true, true, false]],
    ['does not count refused hits (they never extend the wait)', [0, 100, 200, 300, 1000], 1, 1000, [true, false, false, false, true]],
    ['never lets 2x the limit through across a boundary (unlike a fixed window)', [999, 999, 1000, 1001, 1998, 1999], 2, 1000, [true, true, false, false, false, true]],
    ['limit 1, hits exactly one window apart', [0, 1000, 2000], 1, 1000, [true, true, true]],
  ])('%s', (_name, times, limit, windowMs, expected) => {
    expect(run(times as number[], limit as number, windowMs as number)).toEqual(expected);
  });

  it('reports the count and the time until the oldest counted hit leaves', () => {
    const hits: number[] = [];
    recordHit(hits, 100, 3, 1000);
    recordHit(hits, 400, 3, 1000);
    expect(recordHit(hits, 700, 3, 1000)).toEqual({ allowed: true, count: 3, resetMs: 400 });
    expect(recordHit(hits, 800, 3, 1000)).toEqual({ allowed: false, count: 3, resetMs: 300 });
    // At 1100 the hit of 100 is exactly windowMs old: gone; the oldest is now 400.
    expect(recordHit(hits, 1100, 3, 1000)).toEqual({ allowed: true, count: 3, resetMs: 300 });
  });

  it('keeps the log sorted when the clock steps back', () => {
    const hits: number[] = [];
    recordHit(hits, 500, 5, 1000);
    recordHit(hits, 300, 5, 1000);
    recordHit(hits, 900, 5, 1000);
    expect(hits).toEqual([300, 500, 900]);
    expect(windowUsage(hits, 1300, 1000)).toEqual({ count: 2, resetMs: 200 });
  });

  it('windowUsage counts without adding, with the same edge rule', () => {
    const hits = [0, 10, 20];
    expect(windowUsage(hits, 1000, 1000)).toEqual({ count: 2, resetMs: 10 });
    expect(windowUsage(hits, 1020, 1000)).toEqual({ count: 0, resetMs: 0 });
    expect(hits).toEqual([0, 10, 20]);
  });

  it('slidingWindow is pure: the input log is not changed', () => {
    const hits = [0, 10];
    const d = slidingWindow(hits, 1005, 2, 1000);
    expect(d).toEqual({ allowed: true, count: 2, resetMs: 5, hits: [10, 1005] });
    expect(hits).toEqual([0, 10]);
  });

  it('handles large logs without quadratic work or argument-spread limits', () => {
    const hits: number[] = [];
    const limit = 200_000;
    const started = Date.now();
    for (let t = 0; t < limit; t++) recordHit(hits, t, limit, 1_000_000);
    expect(recordHit(hits, limit, limit, 1_000_000).allowed).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
