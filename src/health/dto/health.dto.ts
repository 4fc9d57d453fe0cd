/** OpenAPI schemas of the probe answers (DESIGN.md §6); documentation only. */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { text } from '../../infra/http/openapi/fields';

/** Component name → `{status, …detail}`; few components, so the map is small. */
const COMPONENTS = {
  type: 'object',
  properties: {},
  maxProperties: 16,
  description: 'Component name → { status: up | degraded | down, and detail such as mode, responseTime or message }',
} as const;

export class LivenessDto {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';
}

/** Readiness and startup: the Terminus report shape. */
export class ProbeReportDto {
  @ApiProperty({ enum: ['ok', 'degraded', 'error', 'shutting_down'], description: 'degraded: ready, but Redis is down (see info.redis)' })
  status: 'ok' | 'degraded' | 'error' | 'shutting_down';

  @ApiPropertyOptional({ ...COMPONENTS, nullable: true, description: 'Components that are up or degraded' })
  info?: Record<string, unknown> | null;

  @ApiPropertyOptional({ ...COMPONENTS, nullable: true, description: 'Components that are down' })
  error?: Record<string, unknown> | null;

  @ApiPropertyOptional({ ...COMPONENTS, description: 'Every component checked' })
  details?: Record<string, unknown>;
}

export class DegradedFeatureDto {
  @ApiProperty(text(100))
  feature: string;

  @ApiProperty(text(500))
  reason: string;
}

export class HealthCheckDto {
  @ApiProperty({ enum: ['ok', 'degraded', 'shutting_down'] })
  status: 'ok' | 'degraded' | 'shutting_down';

  @ApiProperty(COMPONENTS)
  components: Record<string, unknown>;

  @ApiProperty({ type: 'object', properties: {}, maxProperties: 32, description: 'Circuit breaker name → closed | open | halfOpen' })
  circuitBreakers: Record<string, string>;

  @ApiProperty({ type: [DegradedFeatureDto], maxItems: 32 })
  degradedFeatures: DegradedFeatureDto[];

  @ApiProperty({ enum: ['running', 'draining', 'closing', 'closed'] })
  shutdown: string;

  @ApiProperty()
  migrationsPending: boolean;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, maximum: 2_147_483_647 })
  uptimeSeconds: number;
}
