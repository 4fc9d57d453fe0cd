/**
 * Probes (DESIGN.md §6). Liveness checks no dependency. Readiness fails only on PostgreSQL or
 * shutdown: Redis down is reported as degraded, never as not-ready, since every replica can
 * still serve through its in-process fallback. Startup waits for migrations.
 */
import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckDto, LivenessDto, ProbeReportDto } from './dto/health.dto';
import { SkipThrottle } from '@nestjs/throttler';
import { HealthCheckService } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/decorators/public.decorator';
import { ShutdownService } from '../infra/lifecycle/shutdown.service';
import { DatabaseState } from '../infra/database/database.state';
import { DegradationRegistry } from '../infra/resilience/degradation.registry';
import { ComponentIndicators } from './component.indicators';

@ApiTags('health')
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: ComponentIndicators,
    private readonly shutdown: ShutdownService,
    private readonly dbState: DatabaseState,
    private readonly degradation: DegradationRegistry,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process and its event loop are healthy; checks no dependency' })
  @ApiOkResponse({ type: LivenessDto })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: 200 when PostgreSQL answers and the process is not shutting down (Redis down is only degraded)' })
  @ApiOkResponse({ type: ProbeReportDto })
  @ApiServiceUnavailableResponse({ type: ProbeReportDto, description: 'Not ready: the failing component is named under error' })
  async ready(@Res() reply: FastifyReply): Promise<void> {
    if (this.shutdown.isShuttingDown) {
      void reply.status(503).send({ status: 'shutting_down', error: { process: { status: 'down', message: 'shutting down' } } });
      return;
    }
    await this.run(reply, [() => this.indicators.database(), () => this.indicators.redis('degraded')]);
  }

  @Get('startup')
  @ApiOperation({ summary: 'Startup: 200 once migrations are applied and the app has started' })
  @ApiOkResponse({ type: ProbeReportDto })
  @ApiServiceUnavailableResponse({ type: ProbeReportDto, description: 'Migrations are still pending' })
  async startup(@Res() reply: FastifyReply): Promise<void> {
    if (await this.dbState.pending()) {
      void reply.status(503).send({ status: 'error', error: { migrations: { status: 'down', message: 'pending migrations' } } });
      return;
    }
    void reply.status(200).send({ status: 'ok', info: { migrations: { status: 'up' } } });
  }

  @Get('check')
  @ApiOperation({ summary: "Each component's status, circuit breakers and degraded features; no secrets" })
  @ApiOkResponse({ type: HealthCheckDto })
  async check(@Res() reply: FastifyReply): Promise<void> {
    const components = await Promise.all([this.indicators.database(), this.indicators.redis('down', { nodes: true })]);
    const merged = Object.assign({}, ...components) as Record<string, { status: string }>;
    const statuses = Object.values(merged).map((c) => c.status);
    const status = this.shutdown.isShuttingDown
      ? 'shutting_down'
      : statuses.includes('down') || this.degradation.degradedFeatures().length > 0
        ? 'degraded'
        : 'ok';
    void reply.status(200).send({
      status,
      components: merged,
      circuitBreakers: this.degradation.breakerStates(),
      degradedFeatures: this.degradation.degradedFeatures(),
      shutdown: this.shutdown.phase,
      migrationsPending: this.dbState.migrationsPending,
      uptimeSeconds: Math.round(process.uptime()),
    });
  }

  private async run(reply: FastifyReply, checks: Parameters<HealthCheckService['check']>[0]): Promise<void> {
    try {
      const result = await this.health.check(checks);
      void reply.status(200).send(result);
    } catch (err) {
      const body = (err as { getResponse?: () => unknown }).getResponse?.() ?? { status: 'error' };
      void reply.status(503).send(body);
    }
  }
}
