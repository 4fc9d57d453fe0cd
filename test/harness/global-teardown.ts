import { rmSync } from 'node:fs';
// Node's own timer, not whatever a test left on the global (the nest-unit project shares this realm).
import { setTimeout as nodeSetTimeout } from 'node:timers';
import { childProcesses, type PostgresServer, type RedisServer } from './processes';

/**
 * How long Jest may take to exit after this teardown. Jest exits once nothing is left in its event
 * loop; a handle the run leaked (a socket, a child's pipe) keeps it alive for good, after one
 * "did not exit" warning. A CI leg once hung past CI's limit after "Ran all test suites" with no
 * sign of why; now it says what is still open and ends with the run's own exit code.
 */
const EXIT_GRACE_MS = 30_000;

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as Record<string, unknown>).__BW_SERVERS__ as { pg: PostgresServer; redis: RedisServer; documents: string } | undefined;
  if (!servers) return;
  const took: string[] = [];
  const timed = async (what: string, step: () => Promise<void>) => {
    const started = Date.now();
    await step();
    took.push(`${what} ${Date.now() - started} ms`);
  };
  await timed('redis-server', () => servers.redis.stop());
  await timed('postgres', () => servers.pg.dispose());
  rmSync(servers.documents, { recursive: true, force: true });
  process.stderr.write(`harness teardown: stopped ${took.join(', ')}\n`);

  nodeSetTimeout(() => {
    const open = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout');
    const children = childProcesses();
    process.stderr.write(
      `harness: Jest has not exited ${EXIT_GRACE_MS / 1000} s after the global teardown. Still open: ${open.join(', ') || 'nothing but timers'}; ` +
        `child processes left by the tests: ${children.map((c) => `${c.pid} ${c.name} (${c.state})`).join('; ') || 'none'}. ` +
        `Killing those and exiting with the run's own exit code.\n`,
    );
    for (const child of children) process.kill(child.pid, 'SIGKILL');
    // Jest's own 'exit' listener sets a failed run's exit code.
    process.exit();
  }, EXIT_GRACE_MS).unref();
}
