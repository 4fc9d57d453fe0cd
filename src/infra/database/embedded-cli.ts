/**
 * Runs the embedded PostgreSQL as its own process (used by the test harness and `npm run bench`):
 *   node dist/infra/database/embedded-cli.js --dir <dataDir> [--port N] [--database name] [--set name=value]...
 * Prints one JSON line {"url","port"} once ready; SIGTERM/SIGINT stop the server and exit 0.
 */
import { startEmbeddedPostgres } from './embedded-postgres';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Every `--set name=value`: server settings passed as `-c name=value`. */
function settings(): Record<string, string> {
  const out: Record<string, string> = {};
  process.argv.forEach((a, i) => {
    if (a !== '--set') return;
    const [name, ...value] = (process.argv[i + 1] ?? '').split('=');
    if (!name || value.length === 0) throw new Error(`--set wants name=value, got "${process.argv[i + 1] ?? ''}"`);
    out[name] = value.join('=');
  });
  return out;
}

async function main(): Promise<void> {
  const dataDir = arg('dir');
  if (!dataDir) throw new Error('--dir is required');
  const port = arg('port') ? Number(arg('port')) : undefined;
  const pg = await startEmbeddedPostgres({ dataDir, port, database: arg('database') ?? 'postgres', settings: settings() });
  process.stdout.write(`${JSON.stringify({ url: pg.url, port: pg.port })}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    pg.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Stop with the parent, too: the harness may die without signalling us.
  process.stdin.on('end', stop);
  process.stdin.resume();
}

main().catch((err: unknown) => {
  process.stderr.write(`embedded postgres failed: ${String(err)}\n`);
  process.exit(1);
});
