/** The fault schedule is a pure function of the seed: a failing run replays with `--seed`. */
import { planFaults, type FaultKind } from '../../soak/faults';
import { createPrng } from '../../soak/prng';

const KINDS: FaultKind[] = [
  'replica-kill',
  'replica-pause',
  'rolling-restart',
  'redis-restart',
  'postgres-restart',
  'network-latency',
  'network-drop',
];

describe('soak fault schedule', () => {
  it('is the same for the same seed and differs for another', () => {
    const a = planFaults(createPrng(42).fork('faults'), 600, 3, KINDS);
    const b = planFaults(createPrng(42).fork('faults'), 600, 3, KINDS);
    const c = planFaults(createPrng(43).fork('faults'), 600, 3, KINDS);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('uses every kind once per cycle, targets existing replicas and starts every fault early enough to recover in the run', () => {
    const plan = planFaults(createPrng(7).fork('faults'), 120, 2, KINDS);
    expect(new Set(plan.slice(0, KINDS.length).map((f) => f.kind))).toEqual(new Set(KINDS));
    for (const f of plan) {
      expect(f.atMs).toBeLessThanOrEqual(120_000 - 8_000);
      if (f.target.startsWith('replica-')) expect(f.target).toMatch(/^replica-[12](->(postgres|redis))?$/);
    }
    expect(plan.map((f) => f.atMs)).toEqual([...plan.map((f) => f.atMs)].sort((x, y) => x - y));
  });
});
