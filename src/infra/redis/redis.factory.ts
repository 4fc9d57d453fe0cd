/**
 * The one place Redis connections are made, for whichever topology is configured (standalone,
 * Sentinel or Cluster: see redis-topology.ts). Every client fails fast while Redis is down (no
 * offline queue, bounded retries per command, command timeout) and reconnects by itself with
 * capped backoff, also to a newly promoted primary. Clients are closed in reverse order of
 * creation at shutdown.
 */
import { Inject, Injectable } from '@nestjs/common';
import { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AppConfig } from '../../config/config.service';
import { LOGGER } from '../logging/logging.module';
import { ShutdownService } from '../lifecycle/shutdown.service';
import { reconnectWhenEnded } from './client-revival';
import { redisNames, type RedisNames } from './redis-names';
import { clusterOptions, redisOptions, topologyOf, type ClientRole, type RedisTopology } from './redis-topology';

/** A connection to the configured Redis: one server (also via Sentinel) or a Cluster. */
export type RedisClient = Redis | Cluster;

export type RedisClientOptions = ClientRole;

@Injectable()
export class RedisFactory {
  private readonly clients: RedisClient[] = [];
  private downSince: number | undefined;
  readonly topology: RedisTopology | undefined;
  /** Key prefixes and channels, under the deployment's `REDIS_NAMESPACE`. */
  readonly names: RedisNames;

  constructor(
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly shutdown: ShutdownService,
  ) {
    this.topology = topologyOf(config.values);
    this.names = redisNames(config.get('REDIS_NAMESPACE'));
  }

  get enabled(): boolean {
    return this.topology !== undefined;
  }

  create(opts: RedisClientOptions): RedisClient {
    const t = this.topology;
    if (!t) throw new Error('no Redis topology is set (single-instance mode)');
    const client: RedisClient =
      t.mode === 'cluster'
        ? new Cluster(
            t.nodes.map((n) => ({ host: n.host, port: n.port })),
            clusterOptions(t, opts),
          )
        : t.mode === 'standalone'
          ? new Redis(t.url, redisOptions(t, opts))
          : new Redis(redisOptions(t, opts));
    client.on('error', (err: Error) => {
      if (this.downSince === undefined) {
        this.downSince = Date.now();
        this.logger.warn({ client: opts.name, err: err.message }, 'redis unreachable');
      }
    });
    client.on('ready', () => {
      if (this.downSince !== undefined) {
        this.logger.info({ client: opts.name, downMs: Date.now() - this.downSince }, 'redis reachable again');
        this.downSince = undefined;
      }
    });
    let closing = false;
    if (!(client instanceof Cluster)) {
      reconnectWhenEnded(
        client,
        () => closing,
        () => this.logger.warn({ client: opts.name }, 'redis client given up by ioredis: connecting again'),
      );
    }
    this.clients.push(client);
    this.shutdown.onShutdown({
      name: `redis:${opts.name}`,
      close: async () => {
        closing = true;
        await client.quit().catch(() => client.disconnect());
      },
      timeoutMs: 2_000,
    });
    return client;
  }

  /** Resolves when the client is ready or after `timeoutMs` (start-up must not hang on Redis). */
  static async waitReady(client: RedisClient, timeoutMs: number): Promise<boolean> {
    if (client.status === 'ready') return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        client.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      client.once('ready', onReady);
    });
  }
}
