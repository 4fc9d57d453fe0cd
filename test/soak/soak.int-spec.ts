/**
 * The soak in CI: 60 seconds, a fixed seed, two replicas, standalone Redis, the same seeded fault
 * schedule every run (every fault kind of the standalone topology appears). Every invariant of
 * DESIGN §10 must hold exactly; availability only has to stay reasonable, because a loaded
 * 2-core CI machine stretches recoveries. The run starts its own PostgreSQL and Redis (it
 * restarts them), never the shared ones of the other tests.
 */
import { renderTable } from '../../soak/report';
import { runSoak, stopEverything } from '../../soak/run';

const SEED = 15;

describe('soak (60 s, seed 15, 2 replicas)', () => {
  // Should the test time out, the processes the run started must not outlive it.
  afterAll(() => stopEverything());

  it('keeps every promise under seeded faults', async () => {
    const result = await runSoak({
      seconds: 60,
      seed: SEED,
      replicas: 2,
      redis: 'standalone',
      // Sign-out must bite on every replica (DESIGN §4): the checker probes every signed-out
      // session's access token 1.5 s later (excused only inside Redis-side fault windows).
      accessRevocation: true,
    });
    process.stdout.write(renderTable(result) + '\n');
    expect(result.violations).toEqual([]);
    expect(result.invariants).toEqual(Object.fromEntries(Object.keys(result.invariants).map((k) => [k, true])));
    expect(result.ok).toBe(true);
    // The run did real work and really injected its faults.
    expect(result.operations.total).toBeGreaterThan(500);
    expect(result.operations.byKind.transfer).toBeGreaterThan(50);
    expect(result.operations.byKind.bid).toBeGreaterThan(20);
    const injected = result.faults.filter((f) => !f.skipped);
    expect(injected.length).toBeGreaterThanOrEqual(4);
    expect(result.faults.filter((f) => f.error)).toEqual([]);
    expect((result.details.throttle as { refused429: number }).refused429).toBeGreaterThan(0);
    // Sign-outs were really probed.
    const auth = result.details.auth as { revokedProbes: number; revokedProbeExcused: number };
    expect(auth.revokedProbes).toBeGreaterThan(0);
    // Every fault was recovered from, and most requests were answered without 5xx.
    expect(injected.filter((f) => f.recoveredMs === null)).toEqual([]);
    expect(result.availability.non5xxShare).toBeGreaterThan(0.9);
  }, 900_000);
});
