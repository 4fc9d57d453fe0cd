import pino from 'pino';
import { MetricsService } from '../../metrics/metrics.service';
import { BreakerFactory, breakerState } from './breaker.factory';
import { DegradationRegistry } from './degradation.registry';

describe('BreakerFactory', () => {
  let factory: BreakerFactory;
  beforeEach(() => {
    factory = new BreakerFactory(new MetricsService(), new DegradationRegistry(), pino({ level: 'silent' }));
  });

  it('keeps no per-call latencies and emits no snapshots (nothing reads them; they cost CPU per call)', async () => {
    const breaker = factory.createBreaker('db', async (n: number) => n * 2);
    const snapshots: unknown[] = [];
    breaker.status.on('snapshot', (s) => snapshots.push(s));
    for (let i = 0; i < 50; i++) await expect(breaker.fire(i)).resolves.toBe(i * 2);
    expect(breaker.stats.fires).toBe(50);
    expect(breaker.stats.successes).toBe(50);
    expect(breaker.stats.latencyTimes).toEqual([]);
    // Snapshots would come once per bucket (rollingCountTimeout / 10 = 1 s).
    await new Promise((r) => setTimeout(r, 1_100));
    expect(snapshots).toEqual([]);
    breaker.shutdown();
  });

  it('still opens once failures pass the volume threshold and the error percentage', async () => {
    const breaker = factory.createBreaker('flaky', async () => {
      throw new Error('down');
    });
    for (let i = 0; i < 5; i++) await expect(breaker.fire()).rejects.toThrow('down');
    expect(breakerState(breaker)).toBe('open');
    await expect(breaker.fire()).rejects.toMatchObject({ code: 'EOPENBREAKER' });
    breaker.shutdown();
  });
});
