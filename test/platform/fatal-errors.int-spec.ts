/**
 * An error nobody handled (a throw out of a callback, a rejected promise nobody awaited) ends the
 * replica with exit code 1, as Node's default would, but first writes one `fatal` JSON line with
 * the error and its origin, so an operator reads why a pod restarted. The faults come from
 * test-only preloads (NODE_OPTIONS=--require …) on SIGUSR2; the product has no hook for them.
 */
import { join } from 'node:path';
import { createDatabase, startApp, type AppProcess } from '../harness';

const CRASH_PRELOAD = join(__dirname, 'fixtures', 'crash-on-sigusr2.cjs');
const REJECT_PRELOAD = join(__dirname, 'fixtures', 'reject-on-sigusr2.cjs');

interface LogLine {
  level?: string;
  msg?: string;
  origin?: string;
  err?: { type?: string; message?: string; stack?: string; code?: string; detail?: string };
}

/** Every JSON line of the app's output (Node's own non-JSON lines are skipped). */
function jsonLines(output: string): LogLine[] {
  return output.split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

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

  it('a thrown exception: one fatal line with the error and its stack, then exit 1', async () => {
    app = await start(CRASH_PRELOAD);
    app.child.kill('SIGUSR2');
    expect(await app.exited).toBe(1);
    const fatal = jsonLines(await app.finalOutput()).filter((l) => l.level === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({ msg: 'uncaught exception: exiting', origin: 'uncaughtException' });
    expect(fatal[0].err).toMatchObject({ type: 'Error', message: 'deliberate crash from a test preload' });
    expect(fatal[0].err?.stack).toContain('crash-on-sigusr2.cjs');
    // Nothing after the fatal line claims an orderly stop.
    expect(app.output()).not.toContain('shutdown complete');
  });

  it('a rejected promise nobody awaited: the fatal line keeps a reason that is not an Error, then exit 1', async () => {
    app = await start(REJECT_PRELOAD);
    app.child.kill('SIGUSR2');
    expect(await app.exited).toBe(1);
    const fatal = jsonLines(await app.finalOutput()).filter((l) => l.level === 'fatal');
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
    expect(jsonLines(await app.finalOutput()).filter((l) => l.level === 'fatal')).toEqual([]);
  });
});
