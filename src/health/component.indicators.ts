import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { SHARED_STORE } from '../infra/redis/redis.module';
import type { SharedStore } from '../infra/redis/shared-store';
import { RedisTopologyMonitor } from '../infra/redis/redis-topology.monitor';

@Injectable()
export class ComponentIndicators {
  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly ds: DataSource,
    @Inject(SHARED_STORE) private readonly store: SharedStore,
    private readonly topology: RedisTopologyMonitor,
  ) {}

  database() {
    return this.indicator
      .check('database')
      .attempt(async () => {
        await this.ds.query('SELECT 1');
      })
      .withTimeout(1_000);
  }

  /**
   * Redis down is `whenDown`: 'degraded' for readiness (keeps 200), 'down' for /health/check.
   * With `nodes`, names the topology and each node's role and state (/health/check only).
   */
  async redis(whenDown: 'degraded' | 'down', opts: { nodes?: boolean } = {}) {
    const session = this.indicator.check('redis');
    if (this.store.kind === 'memory') return session.up({ mode: 'in-process' });
    const started = Date.now();
    const topology: Record<string, unknown> = opts.nodes ? { topology: this.topology.mode, nodes: await this.topology.nodes() } : {};
    try {
      await Promise.race([this.store.ping(), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 500))]);
      return session.up({ mode: 'shared', responseTime: Date.now() - started, ...topology });
    } catch (err) {
      const data: Record<string, unknown> & { message: string } = { mode: 'shared', message: `unreachable: ${(err as Error).message}`, responseTime: Date.now() - started, ...topology };
      return whenDown === 'degraded' ? session.degraded(data) : session.down(data);
    }
  }
}
