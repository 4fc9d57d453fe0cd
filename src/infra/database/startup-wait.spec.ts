import { DatabaseUnreachableAtStartError, startupRetryDelayMs, whenDatabaseReachable } from './startup-wait';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
const startingUp = () => Object.assign(new Error('the database system is starting up'), { code: '57P03' });
const silent = () => new Error('Connection terminated due to connection timeout');
const badPassword = () =>
  Object.assign(new Error('password authentication failed for user "bulwark"'), { code: '28P01' });
const noDatabase = () => Object.assign(new Error('database "bulwark" does not exist'), { code: '3D000' });

/** A clock that only moves when the code under test sleeps (or an attempt takes `attemptMs`). */
function harness(outcomes: Array<() => Error | 'ok'>, attemptMs = 0) {
  let t = 0;
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const slept: number[] = [];
  let cleanups = 0;
  let calls = 0;
  const attempt = async () => {
    t += attemptMs;
    const next = outcomes[Math.min(calls++, outcomes.length - 1)]();
    if (next === 'ok') return 'connected';
    throw next;
  };
  const opts = (waitMs: number) => ({
    waitMs,
    logger: {
      warn: (obj: Record<string, unknown>, msg: string) => lines.push({ level: 'warn', obj, msg }),
      info: (obj: Record<string, unknown>, msg: string) => lines.push({ level: 'info', obj, msg }),
    } as never,
    cleanup: async () => void cleanups++,
    sleep: async (ms: number) => void (slept.push(ms), (t += ms)),
    now: () => t,
    random: () => 1,
  });
  return { attempt, opts, lines, slept, calls: () => calls, cleanups: () => cleanups };
}

describe('whenDatabaseReachable', () => {
  it('connects at once without a line when the database answers', async () => {
    const h = harness([() => 'ok']);
    await expect(whenDatabaseReachable(h.attempt, h.opts(120_000))).resolves.toBe('connected');
    expect(h.lines).toEqual([]);
    expect(h.slept).toEqual([]);
  });

  it('retries refused, starting-up and silent servers with growing delays, one warn line each, then says it is reachable', async () => {
    const h = harness([refused, refused, startingUp, silent, () => 'ok']);
    await expect(whenDatabaseReachable(h.attempt, h.opts(120_000))).resolves.toBe('connected');
    expect(h.calls()).toBe(5);
    expect(h.slept).toEqual([250, 500, 1_000, 2_000]);
    expect(h.cleanups()).toBe(4);
    expect(h.lines.filter((l) => l.level === 'warn').map((l) => [l.obj.attempt, l.obj.fault, l.msg])).toEqual([
      [1, 'unreachable', 'database unreachable at start: retrying'],
      [2, 'unreachable', 'database unreachable at start: retrying'],
      [3, 'unreachable', 'database unreachable at start: retrying'],
      [4, 'unreachable', 'database unreachable at start: retrying'],
    ]);
    expect(h.lines.at(-1)).toMatchObject({
      level: 'info',
      obj: { attempts: 5, waitedMs: 3_750 },
      msg: 'database reachable: starting',
    });
  });

  it('gives up once the next delay would pass DB_STARTUP_WAIT_MS, naming the last error', async () => {
    const h = harness([refused], 1_000);
    const err = await whenDatabaseReachable(h.attempt, h.opts(20_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseUnreachableAtStartError);
    expect((err as Error).message).toContain('ECONNREFUSED');
    expect((err as Error).message).toContain('DB_STARTUP_WAIT_MS');
    // 1 s attempts with 0.25, 0.5, 1, 2, 4 and 5 s between them: after the 7th (19.75 s) the next 5 s would pass 20 s.
    expect(h.calls()).toBe(7);
    expect((err as DatabaseUnreachableAtStartError).waitedMs).toBeLessThanOrEqual(20_000);
  });

  it('makes exactly one attempt with DB_STARTUP_WAIT_MS=0', async () => {
    const h = harness([refused]);
    await expect(whenDatabaseReachable(h.attempt, h.opts(0))).rejects.toBeInstanceOf(DatabaseUnreachableAtStartError);
    expect(h.calls()).toBe(1);
    expect(h.lines).toEqual([]);
  });

  it('fails at once on what waiting cannot fix: a wrong password, an unknown database, a bug', async () => {
    for (const make of [badPassword, noDatabase, () => new TypeError('x is not a function')]) {
      const h = harness([make]);
      const err = await whenDatabaseReachable(h.attempt, h.opts(120_000)).catch((e: unknown) => e);
      expect(err).not.toBeInstanceOf(DatabaseUnreachableAtStartError);
      expect((err as Error).message).toBe(make().message);
      expect(h.calls()).toBe(1);
      expect(h.slept).toEqual([]);
    }
  });
});

describe('startupRetryDelayMs', () => {
  it('doubles from 250 ms to a 5 s ceiling and draws from the ceiling’s upper half', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => startupRetryDelayMs(n, () => 1))).toEqual([
      250, 500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000,
    ]);
    expect(startupRetryDelayMs(6, () => 0)).toBe(2_500);
  });
});
