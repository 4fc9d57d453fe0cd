/**
 * Tracing: with OTEL_EXPORTER_OTLP_ENDPOINT set, an incoming W3C traceparent continues into the
 * app's spans, the spans reach the OTLP collector, and the request's log lines carry the trace id.
 */
import { createServer, type Server } from 'node:http';
import { api, createDatabase, freePort, sleep, startApp } from '../harness';

describe('OpenTelemetry tracing', () => {
  let collector: Server;
  const received: string[] = [];
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString('latin1')));
      req.on('end', () => {
        if (req.url === '/v1/traces') received.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(port, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise((r) => collector.close(r));
  });

  it('continues the caller trace, exports spans and stamps the trace id on log lines', async () => {
    const app = await startApp({
      databaseUrl: await createDatabase(),
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_BSP_SCHEDULE_DELAY: '200', LOG_LEVEL: 'debug' },
    });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    try {
      const res = await api(app.baseUrl, 'GET', '/api/v1/definitely-missing', {
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      });
      expect(res.status).toBe(404);
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !received.some((b) => b.includes(traceId))) await sleep(200);
      expect(received.some((b) => b.includes(traceId))).toBe(true);
    } finally {
      await app.stop();
    }
    const lines = app
      .output()
      .split('\n')
      .filter((l) => l.includes(`"requestId"`))
      .map((l) => JSON.parse(l) as { traceId?: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.traceId === traceId)).toBe(true);
  });
});
