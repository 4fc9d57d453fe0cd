/**
 * An error nobody handled (a throw out of a callback, a rejected promise nobody awaited) ends the
 * replica with exit code 1, as Node's default would, but first writes one `fatal` JSON line with
 * the error and its origin, so an operator reads why a pod restarted. The faults come from
 * test-only preloads (NODE_OPTIONS=--require …) on SIGUSR2; the product has no hook for them.
 */
import { join } from 'node:path';
import { createDatabase, startApp, type AppProcess } from '../harness';
import { logLines, type LogLine } from './fault-support';

const CRASH_PRELOAD = join(__dirname, 'fixtures', 'crash-on-sigusr2.cjs');
const REJECT_PRELOAD = join(__dirname, 'fixtures', 'reject-on-sigusr2.cjs');

const fatalLines = async (app: AppProcess): Promise<LogLine[]> => {
  await app.finalOutput(); // 'exit' can come before the last line
  return logLines(app).filter((l) => l.level === 'fatal');
};

describe('an error nobody handled', () => {
  let app: AppProcess | undefined;
  let databaseUrl: string;

  beforeAll(async () => {
    databaseUrl = await createDatabase();
  });

  afterEach(async () => {
    await app?.kill();
    app = undefined;
  });

  // No REDIS_URL (in-process stores): a replica that dies holds its leases (retention's lasts two
  // 15-minute intervals), and on the shared Redis they would stop other test files' replicas from
  // taking them.
  const start = (preload: string) => startApp({ databaseUrl, env: { NODE_OPTIONS: `--require ${preload}` } });

  /** Starts an app with `preload`, fires it (SIGUSR2), expects exit 1 and returns its fatal lines. */
  async function crash(preload: string): Promise<LogLine[]> {
    app = await start(preload);
    app.child.kill('SIGUSR2');
    expect(await app.exited).toBe(1);
    return fatalLines(app);
  }

  it('a thrown exception: one fatal line with the error and its stack, then exit 1', async () => {
    const fatal = await crash(CRASH_PRELOAD);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({ msg: 'uncaught exception: exiting', origin: 'uncaughtException' });
    expect(fatal[0].err).toMatchObject({ type: 'Error', message: 'deliberate crash from a test preload' });
    expect((fatal[0].err as { stack?: string }).stack).toContain('crash-on-sigusr2.cjs');
    // Nothing after the fatal line claims an orderly stop.
    expect(app!.output()).not.toContain('shutdown complete');
  });

  it('a rejected promise nobody awaited: the fatal line keeps a reason that is not an Error, then exit 1', async () => {
    const fatal = await crash(REJECT_PRELOAD);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({ msg: 'unhandled promise rejection: exiting', origin: 'unhandledRejection' });
    // Node's default would have said only "[object Object]".
    expect(fatal[0].err).toEqual({ code: 'DELIBERATE', detail: 'deliberate rejection for the fatal-errors test' });
  });

  it('a replica without such an error keeps serving and stops with 0 (the handler changes nothing else)', async () => {
    app = await start(REJECT_PRELOAD); // the preload is loaded but never triggered
    const res = await fetch(`${app.baseUrl}/health/live`);
    expect(res.status).toBe(200);
    expect(await app.stop('SIGTERM')).toBe(0);
    expect(await fatalLines(app)).toEqual([]);
  });
});
