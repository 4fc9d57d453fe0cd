/**
 * The one place Redis connections are made. Every client fails fast while Redis is down
 * (no offline queue, bounded retries per command, command timeout) and reconnects by itself
 * with capped backoff. Clients are closed in reverse order of creation at shutdown.
 */
import { Inject, Injectable } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { AppConfig } from '../../config/config.service';
import { LOGGER } from '../logging/logging.module';
import { ShutdownService } from '../lifecycle/shutdown.service';

export interface RedisClientOptions {
  /** Label for logs. */
  name: string;
  /** Subscribers must queue their SUBSCRIBE until connected; commands must not. */
  subscriber?: boolean;
  commandTimeoutMs?: number;
  /** Batch commands issued in the same tick into one write (hot paths such as the limiter). */
  autoPipelining?: boolean;
}

@Injectable()
export class RedisFactory {
  private readonly clients: Redis[] = [];
  private downSince: number | undefined;

  constructor(
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly shutdown: ShutdownService,
  ) {}

  get enabled(): boolean {
    return !this.config.singleInstance;
  }

  create(opts: RedisClientOptions): Redis {
    const url = this.config.get('REDIS_URL');
    if (!url) throw new Error('REDIS_URL is not set (single-instance mode)');
    const options: RedisOptions = {
      connectionName: `bulwark:${opts.name}`,
      connectTimeout: 2_000,
      commandTimeout: opts.subscriber ? undefined : (opts.commandTimeoutMs ?? 1_000),
      maxRetriesPerRequest: opts.subscriber ? null : 1,
      enableOfflineQueue: Boolean(opts.subscriber),
      autoResubscribe: true,
      enableAutoPipelining: Boolean(opts.autoPipelining),
      lazyConnect: false,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
    };
    const client = new Redis(url, options);
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
    this.clients.push(client);
    this.shutdown.onShutdown({
      name: `redis:${opts.name}`,
      close: async () => {
        await client.quit().catch(() => client.disconnect());
      },
      timeoutMs: 2_000,
    });
    return client;
  }

  /** Resolves when the client is ready or after `timeoutMs` (start-up must not hang on Redis). */
  static async waitReady(client: Redis, timeoutMs: number): Promise<boolean> {
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
