/**
 * The dependencies of a soak run: one PostgreSQL and one Redis topology on loopback. Each replica
 * slot reaches them through its own fault proxies, so a network fault can hit one replica's path
 * to one dependency. `startRedisTopology` is the one place a topology is chosen: Sentinel and
 * Cluster plug in here (issue #14) by returning the same shape.
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
import type { Prng } from './prng';

export type RedisTopologyKind = 'standalone' | 'sentinel' | 'cluster';
export const REDIS_TOPOLOGIES: readonly RedisTopologyKind[] = ['standalone', 'sentinel', 'cluster'];

export interface DependencyPath {
  /** Environment for the replica (DATABASE_URL / REDIS_* pointing at the proxies). */
  env: Record<string, string>;
  proxies: FaultProxy[];
}

export interface RedisTopology {
  kind: RedisTopologyKind;
  /** Proxies one replica slot's Redis traffic; returns its REDIS_* environment. */
  connectSlot(prng: Prng): Promise<DependencyPath>;
  /** Stops every Redis server and starts it again on the same port (counters are lost: no persistence). */
  restart(downMs: number): Promise<void>;
  /** Promotes a replica (HA topologies only). */
  failover?: () => Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisTopology(kind: RedisTopologyKind): Promise<RedisTopology> {
  if (kind !== 'standalone') {
    throw new Error(
      `--redis ${kind} is not available yet: Sentinel and Cluster topologies arrive with the HA Redis work (issue #14). Use --redis standalone.`,
    );
  }
  const redis: RedisServer = await startRedis();
  return {
    kind,
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
    stop: () => server.stop(),
  };
}
