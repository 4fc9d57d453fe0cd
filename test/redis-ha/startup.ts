/** Start-up refusals: the process exits non-zero within a bound, with one message naming the setting. */
import { startApp } from '../harness';

export async function expectStartRefused(dbUrl: string, env: Record<string, string>, message: RegExp): Promise<void> {
  let error: Error | undefined;
  try {
    const app = await startApp({ databaseUrl: dbUrl, env });
    await app.stop();
  } catch (err) {
    error = err as Error;
  }
  expect(error?.message).toMatch(/app exited with 1 before ready/);
  const fatal = error!.message.split('\n').find((l) => l.includes('"level":"fatal"'));
  const { msg, checkMs } = JSON.parse(fatal ?? '{}') as { msg?: string; checkMs?: number };
  expect(msg).toMatch(message);
  // Bounded, never a hang: the Redis check itself (each probe gives up after 2 s), measured by the
  // app; loading its modules before the check can take ~20 s on a busy test machine.
  expect(checkMs).toBeLessThan(10_000);
}
