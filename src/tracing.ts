/**
 * OpenTelemetry tracing, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set. Imported first by
 * main.ts so the instrumentations hook http, fastify, pg and ioredis before they are loaded.
 * W3C `traceparent` is extracted from incoming requests and injected into outgoing ones; the
 * trace id is added to every log line of the request (see http-hooks.ts and the logger mixin).
 * Nest 12 itself is ESM, which require-hooks cannot patch, so spans come from the HTTP server,
 * Fastify's hooks/handler, and the pg/ioredis clients.
 */
import type { NodeSDK } from '@opentelemetry/sdk-node';
import { AppConfig } from './config/config.service';

let sdk: NodeSDK | undefined;

function endpoint(): string | undefined {
  try {
    return AppConfig.load().OTEL_EXPORTER_OTLP_ENDPOINT;
  } catch {
    return undefined; // invalid configuration is reported by main.ts
  }
}

const base = endpoint();
if (base) {
  // Loaded only when tracing is on: the SDK and instrumentations cost ~40 MB and ~0.5 s at start.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');
  const { FastifyOtelInstrumentation } = require('@fastify/otel') as typeof import('@fastify/otel');
  /* eslint-enable @typescript-eslint/no-require-imports */
  sdk = new NodeSDK({
    serviceName: 'bulwark',
    traceExporter: new OTLPTraceExporter({ url: `${base.replace(/\/$/, '')}/v1/traces` }),
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => (req.url ?? '').startsWith('/health/') || req.url === '/metrics' }),
      new FastifyOtelInstrumentation({ registerOnInitialization: true }),
      new PgInstrumentation(),
      new IORedisInstrumentation(),
    ],
  });
  sdk.start();
}

export const tracingEnabled = sdk !== undefined;

/** Flushes and stops the SDK (called at the end of graceful shutdown). */
export async function shutdownTracing(): Promise<void> {
  await sdk?.shutdown();
}
