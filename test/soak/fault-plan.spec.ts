/** The fault schedule is a pure function of the seed: a failing run replays with `--seed`. */
import { faultKindsFor, planFaults, type FaultKind } from '../../soak/faults';
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

describe('soak fault schedule per Redis topology', () => {
  it('standalone: no failover; network faults on both dependency paths', () => {
    const kinds = faultKindsFor('standalone');
    expect(kinds).not.toContain('redis-failover');
    expect(kinds).toContain('redis-restart');
    const plan = planFaults(createPrng(3).fork('faults'), 600, 3, kinds);
    const paths = new Set(plan.filter((f) => f.kind.startsWith('network-')).map((f) => f.target.split('->')[1]));
    expect(paths).toEqual(new Set(['postgres', 'redis']));
  });

  it.each(['sentinel', 'cluster'] as const)(
    '%s: a primary failover in every cycle, and network faults only on the PostgreSQL path (Redis is not proxied)',
    (topology) => {
      const kinds = faultKindsFor(topology);
      expect(kinds).toEqual(expect.arrayContaining(['redis-failover', 'redis-restart', 'network-drop', 'network-latency']));
      const plan = planFaults(createPrng(3).fork('faults'), 600, 3, kinds, false);
      for (let i = 0; i + kinds.length <= plan.length; i += kinds.length)
        expect(plan.slice(i, i + kinds.length).filter((f) => f.kind === 'redis-failover')).toHaveLength(1);
      const network = plan.filter((f) => f.kind.startsWith('network-'));
      expect(network.length).toBeGreaterThan(10);
      for (const f of network) expect(f.target).toMatch(/^replica-[123]->postgres$/);
      for (const f of plan.filter((x) => x.kind === 'redis-failover' || x.kind === 'redis-restart'))
        expect(f.target).toBe('redis');
    },
  );

  it('draws the same times and kinds whether or not the Redis path is proxied (only network targets move)', () => {
    const kinds = faultKindsFor('cluster');
    const proxied = planFaults(createPrng(11).fork('faults'), 300, 2, kinds, true);
    const direct = planFaults(createPrng(11).fork('faults'), 300, 2, kinds, false);
    expect(direct.map((f) => [f.atMs, f.kind])).toEqual(proxied.map((f) => [f.atMs, f.kind]));
    expect(proxied.some((f) => f.target.endsWith('->redis'))).toBe(true);
    expect(direct.some((f) => f.target.endsWith('->redis'))).toBe(false);
  });
});
