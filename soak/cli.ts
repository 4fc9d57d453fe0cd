/**
 * `npm run soak -- --seconds 600 --seed 42 [--replicas 3] [--redis standalone]`
 * Prints the fault schedule, runs, prints the result table, writes soak/results/<UTC>.json and
 * exits 0 only when every invariant held.
 */
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { ROOT } from '../test/harness';
import { renderTable, writeResult } from './report';
import { runSoak, stopEverything } from './run';
import { REDIS_TOPOLOGIES, type RedisTopologyKind } from './topology';

const say = (text: string) => process.stdout.write(text + '\n');

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const [name, inline] = arg.slice(2).split('=', 2);
    if (name.startsWith('no-')) out[name.slice(3)] = 'false';
    else out[name] = inline ?? argv[++i] ?? '';
  }
  return out;
}

function positiveInt(value: string | undefined, fallback: number, name: string, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new Error(`--${name} must be an integer from 1 to ${max}, got ${value}`);
  return n;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const known = new Set(['seconds', 'seed', 'replicas', 'redis', 'users', 'access-revocation']);
  for (const k of Object.keys(args)) if (!known.has(k)) throw new Error(`unknown option --${k}`);
  const redis = (args.redis ?? 'standalone') as RedisTopologyKind;
  if (!REDIS_TOPOLOGIES.includes(redis)) throw new Error(`--redis must be one of ${REDIS_TOPOLOGIES.join('|')}`);
  const seed = args.seed === undefined ? randomInt(1, 2 ** 31 - 1) : Number(args.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
    throw new Error(`--seed must be an integer from 0 to 2^32-1`);
  const seconds = positiveInt(args.seconds, 180, 'seconds', 24 * 3600);
  const replicas = positiveInt(args.replicas, 3, 'replicas', 8);
  say(`[soak] seed ${seed} (replay with --seed ${seed}), ${seconds} s, ${replicas} replicas, redis ${redis}`);
  const result = await runSoak({
    seconds,
    seed,
    replicas,
    redis,
    users: positiveInt(args.users, 8, 'users', 100),
    accessRevocation: args['access-revocation'] !== 'false',
  });
  say('\n' + renderTable(result));
  const file = writeResult(result, join(ROOT, 'soak', 'results'));
  say(`\n[soak] results: ${file}`);
  return result.ok ? 0 : 1;
}

// Interrupted: stop what the run started before leaving (its processes are not ours to orphan).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`[soak] ${signal}: stopping the replicas, Redis and PostgreSQL of this run\n`);
    void stopEverything().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`[soak] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
