/**
 * OpenTelemetry tracing, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set. Imported first by
 * main.ts so the instrumentations hook http, fastify, pg and ioredis before they are loaded.
 * W3C `traceparent` is extracted from incoming requests and injected into outgoing ones; the
 * trace id is added to every log line of the request (see http-hooks.ts and the logger mixin).
 * Nest 12 itself is ESM, which require-hooks cannot patch, so spans come from the HTTP server,
 * Fastify's hooks/handler, and the pg/ioredis clients.
 */
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { FastifyOtelInstrumentation } from '@fastify/otel';
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
