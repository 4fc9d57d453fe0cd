/**
 * A Nest application around the given controllers with Bulwark's HTTP pipeline (the ProblemFilter;
 * validation is bound per DTO parameter, as in the app), on Fastify, driven with `inject` (no socket).
 */
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { DynamicModule, Provider, Type } from '@nestjs/common';
import pino from 'pino';
import { LOGGER } from '../../src/infra/logging/logging.module';
import { MetricsService } from '../../src/metrics/metrics.service';
import { ProblemFilter } from '../../src/infra/http/problem.filter';

export interface HttpApp {
  app: NestFastifyApplication;
  /** Every line the app logged (pino JSON objects). */
  logs: Record<string, unknown>[];
  inject(method: 'GET' | 'POST', url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: any; text: string }>;
}

export async function httpApp(controllers: Type[], providers: Provider[] = [], imports: DynamicModule[] = []): Promise<HttpApp> {
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const moduleRef = await Test.createTestingModule({
    imports,
    controllers,
    providers: [
      { provide: LOGGER, useValue: logger },
      MetricsService,
      // As main.ts builds it, without the optional outage log and refusal listener.
      { provide: APP_FILTER, useFactory: (logger: pino.Logger, metrics: MetricsService) => new ProblemFilter(logger, metrics), inject: [LOGGER, MetricsService] },
      ...providers,
    ],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    logs,
    async inject(method, url, body, headers = {}) {
      const res = await app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body as object }) });
      const text = res.body;
      const json = String(res.headers['content-type'] ?? '').includes('json');
      return { status: res.statusCode, headers: res.headers, text, body: json && text ? JSON.parse(text) : text };
    },
  };
}
