import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { SHARED_STORE } from '../infra/redis/redis.module';
import type { SharedStore } from '../infra/redis/shared-store';

@Injectable()
export class ComponentIndicators {
  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly ds: DataSource,
    @Inject(SHARED_STORE) private readonly store: SharedStore,
  ) {}

  database() {
    return this.indicator
      .check('database')
      .attempt(async () => {
        await this.ds.query('SELECT 1');
      })
      .withTimeout(1_000);
  }

  /** Redis down is `whenDown`: 'degraded' for readiness (keeps 200), 'down' for /health/check. */
  async redis(whenDown: 'degraded' | 'down') {
    const session = this.indicator.check('redis');
    if (this.store.kind === 'memory') return session.up({ mode: 'in-process' });
    const started = Date.now();
    try {
      await Promise.race([this.store.ping(), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 500))]);
      return session.up({ mode: 'shared', responseTime: Date.now() - started });
    } catch (err) {
      const data = { mode: 'shared', message: `unreachable: ${(err as Error).message}`, responseTime: Date.now() - started };
      return whenDown === 'degraded' ? session.degraded(data) : session.down(data);
    }
  }
}
