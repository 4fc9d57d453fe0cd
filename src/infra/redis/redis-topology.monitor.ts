/**
 * What this replica sees of the shared Redis: the topology, each node's role and state (for
 * /health/check) and the primary changes it observed (`redis_failovers_total`):
 * - Sentinel: one subscriber per sentinel on `+switch-master` (the event Sentinel publishes when
 *   it promotes a replica), deduplicated across sentinels; roles and states from
 *   `SENTINEL MASTER/REPLICAS`.
 * - Cluster: after each slot-map refresh of the store's client, a node that serves slots now and
 *   did not before is a promoted replica; roles and states from `CLUSTER NODES`.
 * - Standalone: the server's `ROLE`; a managed endpoint fails over behind its address, unseen.
 */
import { Inject, Injectable } from '@nestjs/common';
import { Redis, type Cluster } from 'ioredis';
import type { Logger } from 'pino';
import { LOGGER } from '../logging/logging.module';
import { ShutdownService } from '../lifecycle/shutdown.service';
import { MetricsService } from '../../metrics/metrics.service';
import { RedisFactory, type RedisClient } from './redis.factory';
import { address, parseClusterNodes, reconnectDelay, type RedisMode, type RedisNodeState } from './redis-topology';

export type { RedisNodeState };

const QUERY_TIMEOUT_MS = 500;

function within<T>(work: Promise<T>, ms = QUERY_TIMEOUT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    work.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}

/** `SENTINEL MASTER`/`REPLICAS` flat field lists → a record. */
const fields = (flat: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  const list = flat as string[];
  for (let i = 0; i + 1 < list.length; i += 2) out[list[i]] = list[i + 1];
  return out;
};

@Injectable()
export class RedisTopologyMonitor {
  readonly mode: RedisMode | undefined;
  private client?: RedisClient;
  private readonly sentinels: Redis[] = [];
  private readonly seenSwitches = new Map<string, number>();
  private readonly failovers;

  constructor(
    private readonly factory: RedisFactory,
    metrics: MetricsService,
    private readonly shutdown: ShutdownService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.mode = factory.topology?.mode;
    const mode = this.mode ?? 'in-process';
    metrics.gauge('redis_topology_info', 'The Redis topology this replica uses (value 1)', ['mode']).set({ mode }, 1);
    this.failovers = metrics.counter('redis_failovers_total', 'Redis primary changes (promotions) seen by this replica');
    this.failovers.inc(0);
  }

  /** Starts watching, with the store's client (cluster, standalone) or the sentinels. */
  watch(client: RedisClient): void {
    this.client = client;
    const t = this.factory.topology;
    if (t?.mode === 'cluster') this.watchCluster(client as Cluster);
    if (t?.mode === 'sentinel') {
      for (const s of t.sentinels) {
        const sub = new Redis({
          host: s.host,
          port: s.port,
          connectionName: 'bulwark:sentinel-watch',
          ...(t.password !== undefined ? { password: t.password } : {}),
          connectTimeout: 2_000,
          retryStrategy: reconnectDelay,
          maxRetriesPerRequest: null,
          autoResubscribe: true,
        });
        sub.on('error', () => undefined); // reported through the node states
        sub.on('message', (channel: string, message: string) => this.onSwitchMaster(t.name, message));
        sub.subscribe('+switch-master').catch(() => undefined);
        // A second connection for queries: a subscribed connection cannot run commands.
        const query = new Redis({
          host: s.host,
          port: s.port,
          connectionName: 'bulwark:sentinel-query',
          ...(t.password !== undefined ? { password: t.password } : {}),
          connectTimeout: 2_000,
          commandTimeout: QUERY_TIMEOUT_MS,
          retryStrategy: reconnectDelay,
          maxRetriesPerRequest: 0,
          enableOfflineQueue: false,
        });
        query.on('error', () => undefined);
        this.sentinels.push(query);
        this.shutdown.onShutdown({ name: `redis:sentinel-watch:${address(s)}`, close: () => (sub.disconnect(), query.disconnect()) });
      }
    }
  }

  private onSwitchMaster(name: string, message: string): void {
    // "<name> <old-ip> <old-port> <new-ip> <new-port>", published by every sentinel once.
    const [master, , , ip, port] = message.split(' ');
    if (master !== name) return;
    const key = `${ip}:${port}`;
    const now = Date.now();
    for (const [k, at] of this.seenSwitches) if (now - at > 60_000) this.seenSwitches.delete(k);
    if (this.seenSwitches.has(key)) return;
    this.seenSwitches.set(key, now);
    this.failovers.inc();
    this.logger.warn({ primary: key, name }, 'redis sentinel: primary switched');
  }

  private watchCluster(cluster: Cluster): void {
    let primaries: Set<string> | undefined;
    cluster.on('refresh', () => {
      const now = new Set(cluster.nodes('master').map((n) => `${n.options.host}:${n.options.port}`));
      const promoted = primaries ? [...now].filter((k) => !primaries!.has(k)) : [];
      primaries = now;
      if (promoted.length === 0) return;
      this.failovers.inc(promoted.length);
      this.logger.warn({ promoted }, 'redis cluster: primary changed');
    });
  }

  /** Every node this replica knows, with its role and state (bounded in time). */
  async nodes(): Promise<RedisNodeState[]> {
    const client = this.client;
    if (!client) return [];
    if (this.mode === 'cluster') {
      const cluster = client as Cluster;
      for (const node of cluster.nodes('all')) {
        if (node.status !== 'ready') continue;
        try {
          return parseClusterNodes(String(await within(node.call('CLUSTER', 'NODES'))));
        } catch {
          /* ask the next one */
        }
      }
      return cluster.nodes('all').map((n) => ({ address: `${n.options.host}:${n.options.port}`, role: 'unknown', state: 'down' }));
    }
    if (this.mode === 'sentinel') return this.sentinelNodes();
    const redis = client as Redis;
    const addr = `${redis.options.host}:${redis.options.port}`;
    try {
      const [role] = (await within(redis.call('ROLE'))) as [string];
      return [{ address: addr, role: role === 'master' ? 'primary' : 'replica', state: 'up' }];
    } catch (err) {
      return [{ address: addr, role: 'unknown', state: 'down', detail: (err as Error).message }];
    }
  }

  private async sentinelNodes(): Promise<RedisNodeState[]> {
    const t = this.factory.topology;
    if (t?.mode !== 'sentinel') return [];
    const out: RedisNodeState[] = t.sentinels.map((s, i) => ({
      address: address(s),
      role: 'sentinel' as const,
      state: this.sentinels[i]?.status === 'ready' ? ('up' as const) : ('down' as const),
    }));
    for (const q of this.sentinels) {
      if (q.status !== 'ready') continue;
      try {
        const [master, replicas] = await Promise.all([
          within(q.call('SENTINEL', 'MASTER', t.name)),
          within(q.call('SENTINEL', 'REPLICAS', t.name)),
        ]);
        for (const [raw, role] of [[master, 'primary'], ...(replicas as unknown[]).map((r) => [r, 'replica'])] as Array<[unknown, 'primary' | 'replica']>) {
          const f = fields(raw);
          const down = /s_down|o_down|disconnected/.test(f.flags ?? '') || (role === 'replica' && f['master-link-status'] === 'err');
          out.push({ address: `${f.ip}:${f.port}`, role, state: down ? 'down' : 'up', ...(down ? { detail: f.flags } : {}) });
        }
        return out;
      } catch {
        /* ask the next sentinel */
      }
    }
    return out;
  }
}
