import { OutageLog } from './outage-log';
import type { DependencyFault } from './dependency-fault';

const DB: DependencyFault = { dependency: 'database', reason: 'lost', outcomeUnknown: false };
const REDIS: DependencyFault = { dependency: 'redis', reason: 'unreachable', outcomeUnknown: false };

describe('OutageLog: one line per burst, then counts', () => {
  let lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }>;
  let log: OutageLog;
  const logger = {
    warn: (obj: object, msg: string) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    info: (obj: object, msg: string) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
  };

  beforeEach(() => {
    jest.useFakeTimers();
    lines = [];
    log = new OutageLog(logger, 10_000, () => Date.now());
  });
  afterEach(() => {
    log.close();
    jest.useRealTimers();
  });

  it('warns once at the first fault, then one summary per period with the count, then closes the burst', () => {
    const err = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    for (let i = 0; i < 50; i++) log.record(DB, err);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', obj: { dependency: 'database', count: 1, err: 'Error ECONNRESET: read ECONNRESET' } });
    expect(JSON.stringify(lines[0])).not.toContain('    at '); // no stack

    jest.advanceTimersByTime(10_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 'warn', obj: { dependency: 'database', count: 49, total: 50 } });

    for (let i = 0; i < 7; i++) log.record(DB, err);
    jest.advanceTimersByTime(10_000);
    expect(lines[2]).toMatchObject({ level: 'warn', obj: { count: 7, total: 57 } });

    jest.advanceTimersByTime(10_000); // a whole period without a fault
    expect(lines[3]).toMatchObject({ level: 'info', obj: { dependency: 'database', total: 57 } });
    jest.advanceTimersByTime(60_000);
    expect(lines).toHaveLength(4);

    log.record(DB, err); // a new burst warns again
    expect(lines[4]).toMatchObject({ level: 'warn', obj: { count: 1 } });
  });

  it('keeps one burst per dependency', () => {
    log.record(DB, new Error('Connection terminated unexpectedly'));
    log.record(REDIS, new Error('no answer'));
    log.record(REDIS, new Error('no answer'));
    expect(lines.map((l) => [l.level, l.obj.dependency])).toEqual([
      ['warn', 'database'],
      ['warn', 'redis'],
    ]);
  });
});
