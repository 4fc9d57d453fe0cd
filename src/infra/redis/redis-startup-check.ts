/**
 * Start-up check of the Redis settings, bounded in time (a few seconds, never a hang): settings
 * that can never work stop the process with one message naming the setting — a wrong password,
 * a sentinel name the sentinels do not monitor, a server without cluster support given as a
 * cluster node. Unreachable servers do not stop it: Redis down is served degraded (DESIGN §6),
 * and a cluster seed list with a dead node still starts when the others answer.
 * Each probe is a plain connection with no retries, closed at once.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { HostPort } from '../../config/config.schema';
import { address, type RedisTopology } from './redis-topology';

const PROBE_TIMEOUT_MS = 2_000;

/** A setting that can never work, or warnings (servers that did not answer). */
export interface StartupCheck {
  fatal?: string;
  unreachable: string[];
}

const isAuthError = (e: string) => /WRONGPASS|NOAUTH|invalid password|invalid username/i.test(e);

type Probe = { ok: true; value: unknown } | { ok: false; error: string; refused: boolean };

async function probe(target: string | RedisOptions, run: (r: Redis) => Promise<unknown>): Promise<Probe> {
  const opts: RedisOptions = { lazyConnect: true, connectTimeout: PROBE_TIMEOUT_MS, commandTimeout: PROBE_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false };
  const r = typeof target === 'string' ? new Redis(target, opts) : new Redis({ ...opts, ...target });
  // A refused AUTH arrives as an 'error' event, while the command fails with a queue error.
  let refusedAuth: string | undefined;
  r.on('error', (err: Error) => {
    if (isAuthError(err.message)) refusedAuth = err.message;
  });
  try {
    await r.connect();
    return { ok: true, value: await run(r) };
  } catch (err) {
    const error = refusedAuth ?? (err instanceof Error ? err.message : String(err));
    // Answers from a live server (auth, unknown command) versus no answer at all.
    const refused = /WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username|ERR/.test(error);
    return { ok: false, error, refused };
  } finally {
    r.disconnect();
  }
}


function credsSetting(t: RedisTopology): string {
  if (t.mode === 'standalone') {
    const u = new URL(t.url);
    if (u.password || u.username) return 'REDIS_URL (its credentials)';
  }
  return t.username ? 'REDIS_USERNAME/REDIS_PASSWORD' : 'REDIS_PASSWORD';
}

const creds = (t: RedisTopology) => ({ ...(t.username ? { username: t.username } : {}), ...(t.password !== undefined ? { password: t.password } : {}) });

export async function checkRedisTopology(t: RedisTopology): Promise<StartupCheck> {
  if (t.mode === 'standalone') {
    const p = await probe(t.url, (r) => r.ping());
    // ioredis fills what the URL lacks from the options, so URL credentials win here too.
    if (!p.ok && p.refused) {
      if (isAuthError(p.error)) return { fatal: `${credsSetting(t)} rejected by Redis at REDIS_URL: ${p.error}`, unreachable: [] };
    }
    return { unreachable: p.ok || p.refused ? [] : [`REDIS_URL: ${p.error}`] };
  }
  if (t.mode === 'sentinel') return checkSentinels(t);
  return checkClusterSeeds(t);
}

async function checkSentinels(t: Extract<RedisTopology, { mode: 'sentinel' }>): Promise<StartupCheck> {
  const unreachable: string[] = [];
  let primary: HostPort | undefined;
  let unknownName = 0;
  for (const s of t.sentinels) {
    // Sentinels get the data password too (ioredis sends it to them): a sentinel without a
    // password accepts that, one with another password refuses it.
    const p = await probe({ host: s.host, port: s.port, ...(t.password !== undefined ? { password: t.password } : {}) }, (r) =>
      r.call('SENTINEL', 'get-master-addr-by-name', t.name),
    );
    if (!p.ok && isAuthError(p.error)) return { fatal: `${credsSetting(t)} rejected by the sentinel at REDIS_SENTINELS ${address(s)}: ${p.error}`, unreachable };
    if (!p.ok) {
      if (p.refused && /unknown command|unknown subcommand/i.test(p.error)) {
        return { fatal: `REDIS_SENTINELS: ${address(s)} is not a Redis Sentinel (${p.error})`, unreachable };
      }
      unreachable.push(`REDIS_SENTINELS ${address(s)}: ${p.error}`);
      continue;
    }
    const addr = p.value as [string, string] | null;
    if (!addr) unknownName++;
    else primary ??= { host: addr[0], port: Number(addr[1]) };
  }
  if (!primary && unknownName > 0) {
    return {
      fatal: `REDIS_SENTINEL_NAME "${t.name}" is not monitored by the sentinels at REDIS_SENTINELS (${unknownName} answered: unknown name)`,
      unreachable,
    };
  }
  if (primary) {
    const p = await probe({ host: primary.host, port: primary.port, ...creds(t) }, (r) => r.ping());
    if (!p.ok && isAuthError(p.error)) return { fatal: `${credsSetting(t)} rejected by the primary "${t.name}" (${address(primary)}): ${p.error}`, unreachable };
    if (!p.ok) unreachable.push(`primary "${t.name}" at ${address(primary)}: ${p.error}`);
  }
  return { unreachable };
}

async function checkClusterSeeds(t: Extract<RedisTopology, { mode: 'cluster' }>): Promise<StartupCheck> {
  const unreachable: string[] = [];
  const results = await Promise.all(
    t.nodes.map(async (n) => ({ n, p: await probe({ host: n.host, port: n.port, ...creds(t) }, (r) => r.info('cluster')) })),
  );
  for (const { n, p } of results) {
    if (!p.ok) {
      if (isAuthError(p.error)) return { fatal: `${credsSetting(t)} rejected by REDIS_CLUSTER_NODES ${address(n)}: ${p.error}`, unreachable };
      unreachable.push(`REDIS_CLUSTER_NODES ${address(n)}: ${p.error}`);
      continue;
    }
    if (!/cluster_enabled:1/.test(String(p.value))) {
      return {
        fatal: `REDIS_CLUSTER_NODES: ${address(n)} is not a Redis Cluster node (cluster support disabled); use REDIS_URL for a single server`,
        unreachable,
      };
    }
  }
  return { unreachable };
}
