/**
 * The dependencies of a soak run: one PostgreSQL and one Redis topology on loopback. Each replica
 * slot reaches them through its own fault proxies, so a network fault can hit one replica's path
 * to one dependency. `startRedisTopology` is the one place a topology is chosen; all three return
 * the same shape.
 *
 * Sentinel and Cluster (test/harness/redis-ha.ts fixtures): the app learns node addresses from the
 * servers themselves (the sentinels name the primary; the Cluster's slot map names every node), so
 * a TCP proxy in front of one address would not carry its traffic. Their slots connect directly
 * (`proxied: false`, no Redis proxies) and the fault plan leaves network faults on the Redis path
 * out for them; PostgreSQL-path network faults still apply.
 */
import {
  createDatabase,
  startFaultProxy,
  startPostgres,
  startRedis,
  type FaultProxy,
  type PostgresServer,
  type RedisServer,
} from '../test/harness';
import { startRedisCluster, startRedisSentinel } from '../test/harness/redis-ha';
import type { Prng } from './prng';

export type RedisTopologyKind = 'standalone' | 'sentinel' | 'cluster';
export const REDIS_TOPOLOGIES: readonly RedisTopologyKind[] = ['standalone', 'sentinel', 'cluster'];

export interface DependencyPath {
  /** Environment for the replica (DATABASE_URL / REDIS_* pointing at the proxies). */
  env: Record<string, string>;
  proxies: FaultProxy[];
}

export interface FailoverReport {
  /** the killed primary, host:port */
  killed: string;
  /** the replica promoted in its place */
  promoted: string;
  /** SIGKILL → the new primary serves (the disruption ends here) */
  promotedMs: number;
}

export interface RedisTopology {
  kind: RedisTopologyKind;
  /** Whether each slot's Redis traffic runs through its fault proxy (network faults on the Redis path). */
  proxied: boolean;
  /** Proxies one replica slot's Redis traffic; returns its REDIS_* environment. */
  connectSlot(prng: Prng): Promise<DependencyPath>;
  /**
   * Standalone: stops the Redis server and starts it again on the same port (counters are lost:
   * no persistence). Sentinel/Cluster: the same for one replica node (the primaries keep serving,
   * nothing is lost; the app must tolerate a replica going away and coming back).
   */
  restart(downMs: number): Promise<void>;
  /**
   * HA topologies only: SIGKILLs a primary and waits for the promotion (`onPromoted`, when the
   * disruption ends), then starts the killed node again and waits until it is a replica in sync,
   * so the next failover has a replica to promote.
   */
  failover?: (onPromoted: (report: FailoverReport) => void) => Promise<void>;
  stop(): Promise<void>;
}

/** A key the workload writes (every sign-out): Cluster failovers kill the primary of its shard. */
export const CLUSTER_FAILOVER_KEY = 'bw:{revocations}';
const addr = (port: number) => `127.0.0.1:${port}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startRedisTopology(kind: RedisTopologyKind): Promise<RedisTopology> {
  if (kind === 'sentinel') return startSentinelTopology();
  if (kind === 'cluster') return startClusterTopology();
  const redis: RedisServer = await startRedis();
  return {
    kind,
    proxied: true,
    async connectSlot(prng) {
      const proxy = await startFaultProxy(redis.port, { seedRandom: prng.next });
      return { env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}` }, proxies: [proxy] };
    },
    async restart(downMs) {
      await redis.stop();
      await new Promise((r) => setTimeout(r, downMs));
      await redis.start();
    },
    stop: () => redis.stop(),
  };
}

async function startSentinelTopology(): Promise<RedisTopology> {
  const fx = await startRedisSentinel();
  return {
    kind: 'sentinel',
    proxied: false,
    connectSlot: () =>
      Promise.resolve({ env: { REDIS_SENTINELS: fx.sentinels, REDIS_SENTINEL_NAME: fx.name }, proxies: [] }),
    async restart(downMs) {
      const primary = fx.primaryPort();
      const replica = fx.dataPorts.find((p) => p !== primary)!;
      await fx.kill(replica);
      await sleep(downMs);
      await fx.restart(replica);
    },
    async failover(onPromoted) {
      const old = fx.primaryPort();
      const killedAt = Date.now();
      await fx.kill(old);
      const now = await fx.waitFailover(old, 60_000);
      onPromoted({ killed: addr(old), promoted: addr(now), promotedMs: Date.now() - killedAt });
      await fx.restart(old, 120_000);
    },
    stop: () => fx.stop(),
  };
}

async function startClusterTopology(): Promise<RedisTopology> {
  const fx = await startRedisCluster();
  return {
    kind: 'cluster',
    proxied: false,
    connectSlot: () => Promise.resolve({ env: { REDIS_CLUSTER_NODES: fx.nodes }, proxies: [] }),
    async restart(downMs) {
      // Some replica (never a primary: that would be a failover, which is its own fault kind).
      const primaries = fx.primaries();
      const replica = fx.ports.find((p) => !primaries.includes(p))!;
      await fx.kill(replica);
      await sleep(downMs);
      await fx.restart(replica);
    },
    async failover(onPromoted) {
      const old = fx.primaryFor(CLUSTER_FAILOVER_KEY);
      const killedAt = Date.now();
      await fx.kill(old);
      const now = await fx.waitFailover(CLUSTER_FAILOVER_KEY, old, 60_000);
      onPromoted({ killed: addr(old), promoted: addr(now), promotedMs: Date.now() - killedAt });
      await fx.restart(old, 120_000);
    },
    stop: () => fx.stop(),
  };
}

export interface Database {
  server: PostgresServer;
  /** Direct URL (the checker's; never proxied). */
  url: string;
  connectSlot(prng: Prng): Promise<DependencyPath>;
  restart(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startDatabase(): Promise<Database> {
  const server = await startPostgres();
  const url = await createDatabase(server.url);
  return {
    server,
    url,
    async connectSlot(prng) {
      const proxy = await startFaultProxy(server.port, { seedRandom: prng.next });
      const proxied = new URL(url);
      proxied.port = String(proxy.port);
      return { env: { DATABASE_URL: proxied.toString() }, proxies: [proxy] };
    },
    async restart(downMs) {
      await server.stop();
      await new Promise((r) => setTimeout(r, downMs));
      await server.start();
    },
    stop: () => server.dispose(),
  };
}
