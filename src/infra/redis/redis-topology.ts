/**
 * Which Redis the replicas share (DESIGN §2 "Redis topologies"): one server or a managed primary
 * endpoint (REDIS_URL), a Sentinel-managed primary (REDIS_SENTINELS + REDIS_SENTINEL_NAME) or a
 * Redis Cluster (REDIS_CLUSTER_NODES). ioredis does all the topology work (finding the primary,
 * following a failover, routing keys to slots); this module only turns the settings into its
 * options. Pure (ioredis types only), so the option mapping is unit-testable.
 */
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { Config, HostPort } from '../../config/config.schema';

export type RedisMode = 'standalone' | 'sentinel' | 'cluster';

export type RedisTopology =
  | { mode: 'standalone'; setting: 'REDIS_URL'; url: string; username?: string; password?: string }
  | { mode: 'sentinel'; setting: 'REDIS_SENTINELS'; sentinels: HostPort[]; name: string; username?: string; password?: string }
  | { mode: 'cluster'; setting: 'REDIS_CLUSTER_NODES'; nodes: HostPort[]; username?: string; password?: string };

/** The configured topology; undefined in single-instance mode. */
export function topologyOf(c: Config): RedisTopology | undefined {
  const creds = { username: c.REDIS_USERNAME, password: c.REDIS_PASSWORD };
  if (c.REDIS_URL) return { mode: 'standalone', setting: 'REDIS_URL', url: c.REDIS_URL, ...creds };
  if (c.REDIS_SENTINELS && c.REDIS_SENTINEL_NAME) {
    return { mode: 'sentinel', setting: 'REDIS_SENTINELS', sentinels: c.REDIS_SENTINELS, name: c.REDIS_SENTINEL_NAME, ...creds };
  }
  if (c.REDIS_CLUSTER_NODES) return { mode: 'cluster', setting: 'REDIS_CLUSTER_NODES', nodes: c.REDIS_CLUSTER_NODES, ...creds };
  return undefined;
}

export const address = (n: HostPort) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`);

/** For logs and /health/check: never the password (nor credentials inside REDIS_URL). */
export function describeTopology(t: RedisTopology): string {
  if (t.mode === 'standalone') {
    const u = new URL(t.url);
    return `${u.protocol}//${u.host}`;
  }
  if (t.mode === 'sentinel') return `primary "${t.name}" via sentinels ${t.sentinels.map(address).join(',')}`;
  return `cluster seeds ${t.nodes.map(address).join(',')}`;
}

/** Reconnect backoff: 100 ms doubling to 2 s, forever (an outage is served by the fallback). */
export const reconnectDelay = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000);

export interface ClientRole {
  name: string;
  subscriber?: boolean;
  commandTimeoutMs?: number;
  autoPipelining?: boolean;
  /** Cluster only: one subscriber connection per shard for SSUBSCRIBE (sharded pub/sub). */
  shardedSubscriber?: boolean;
  /** Cluster only: this client's slot map is the one the replica reports (failovers, nodes). */
  watchesTopology?: boolean;
}

/**
 * How often a Cluster client re-reads the slot map. Each refresh costs the replica about 5 ms of
 * CPU (a new connection, CLUSTER SLOTS, and passes over all 16,384 slots): eight clients every
 * 2 s were half of an idle replica's CPU. Subscribers send no commands, so a refresh is how they
 * follow a failover, and the store's client feeds `redis_failovers_total`: every 2 s. A client
 * that only sends commands has its map corrected by its first MOVED or failed command (ioredis
 * refreshes at once then), so its periodic refresh is only a backstop.
 */
export const FAST_SLOTS_REFRESH_MS = 2_000;
export const COMMAND_SLOTS_REFRESH_MS = 10_000;

/** Options of each connection to one Redis server (all topologies). */
export function nodeOptions(t: RedisTopology, role: ClientRole): RedisOptions {
  return {
    connectionName: `bulwark:${role.name}`,
    connectTimeout: 2_000,
    // Subscribers wait as long as it takes; commands must fail fast (no request waits on Redis).
    commandTimeout: role.subscriber ? undefined : (role.commandTimeoutMs ?? 1_000),
    maxRetriesPerRequest: role.subscriber ? null : 1,
    autoResubscribe: true,
    enableAutoPipelining: Boolean(role.autoPipelining),
    // Credentials inside REDIS_URL win: ioredis fills options from the URL first, then these.
    ...(t.username ? { username: t.username } : {}),
    ...(t.password !== undefined ? { password: t.password } : {}),
  };
}

/** Options for `new Redis(...)`: standalone (with the URL) or Sentinel. */
export function redisOptions(t: Exclude<RedisTopology, { mode: 'cluster' }>, role: ClientRole): RedisOptions {
  const base: RedisOptions = {
    ...nodeOptions(t, role),
    enableOfflineQueue: Boolean(role.subscriber),
    lazyConnect: false,
    retryStrategy: reconnectDelay,
  };
  if (t.mode === 'standalone') return base;
  return {
    ...base,
    sentinels: t.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: t.name,
    role: 'master',
    // Sentinels usually share the data password (e.g. the Bitnami chart); ioredis ignores an AUTH
    // a sentinel without a password refuses.
    ...(t.password !== undefined ? { sentinelPassword: t.password } : {}),
    // Subscribe to +switch-master: reconnect to the new primary as soon as Sentinel promotes it,
    // instead of when the old connection times out.
    failoverDetector: true,
    sentinelRetryStrategy: reconnectDelay,
    sentinelMaxConnections: 3,
  };
}

/** Options for `new Cluster(seeds, ...)`. */
export function clusterOptions(t: Extract<RedisTopology, { mode: 'cluster' }>, role: ClientRole): ClusterOptions {
  return {
    clusterRetryStrategy: reconnectDelay,
    enableOfflineQueue: Boolean(role.subscriber),
    enableReadyCheck: true,
    // Reads from primaries only: a replica may lag (a lockout or block must be seen at once).
    scaleReads: 'master',
    enableAutoPipelining: Boolean(role.autoPipelining),
    slotsRefreshTimeout: 1_000,
    slotsRefreshInterval: role.subscriber || role.shardedSubscriber || role.watchesTopology ? FAST_SLOTS_REFRESH_MS : COMMAND_SLOTS_REFRESH_MS,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    shardedSubscribers: Boolean(role.shardedSubscriber),
    redisOptions: nodeOptions(t, role),
  };
}

export interface RedisNodeState {
  address: string;
  role: 'primary' | 'replica' | 'sentinel' | 'unknown';
  state: 'up' | 'down';
  detail?: string;
}

/** `CLUSTER NODES` lines → states (/health/check). */
export function parseClusterNodes(text: string): RedisNodeState[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const [, addr, flags, , , , , link] = line.split(' ');
      const hostPort = addr.split('@')[0];
      const role = /master/.test(flags) ? 'primary' : /slave/.test(flags) ? 'replica' : 'unknown';
      const failed = /(^|,)(fail\??|noaddr|handshake)(,|$)/.test(flags) || link !== 'connected';
      return { address: hostPort, role, state: failed ? 'down' : 'up', ...(failed ? { detail: `${flags} ${link}` } : {}) };
    });
}

