/** Start-up refusals: the process exits non-zero within a bound, with one message naming the setting. */
import { startApp } from '../harness';

export async function expectStartRefused(dbUrl: string, env: Record<string, string>, message: RegExp): Promise<void> {
  const started = Date.now();
  let error: Error | undefined;
  try {
    const app = await startApp({ databaseUrl: dbUrl, env });
    await app.stop();
  } catch (err) {
    error = err as Error;
  }
  expect(error?.message).toMatch(/app exited with 1 before ready/);
  const fatal = error!.message.split('\n').find((l) => l.includes('"level":"fatal"'));
  expect((JSON.parse(fatal ?? '{}') as { msg?: string }).msg).toMatch(message);
  // Bounded: the probes time out after 2 s; loading the app's modules alone takes up to ~17 s on a
  // busy test machine. A client retrying forever would run into the harness's 60 s deadline.
  expect(Date.now() - started).toBeLessThan(40_000);
}
