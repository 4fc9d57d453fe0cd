/** Small helpers shared by the security integration tests. */
import { api, sleep, type AppProcess } from '../harness';

/** Sum of a Prometheus sample (exact label set, or no labels) over app instances. */
export async function metricSum(apps: AppProcess[], sample: string): Promise<number> {
  let total = 0;
  for (const app of apps) {
    const text = (await api<string>(app.baseUrl, 'GET', '/metrics')).body;
    for (const line of text.split('\n')) {
      if (line.startsWith(`${sample} `)) total += Number(line.slice(sample.length + 1));
    }
  }
  return total;
}

/** Polls `probe` until it returns a truthy value or the timeout passes; returns the last value. */
export async function eventually<T>(probe: () => Promise<T>, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!last && Date.now() < deadline) {
    await sleep(everyMs);
    last = await probe();
  }
  return last;
}

/** The headers every answer must carry (DESIGN.md §7), whatever its status. */
export function expectSecurityHeaders(headers: Headers, what: string): void {
  const problems: string[] = [];
  const want = (name: string, test: (v: string) => boolean) => {
    const v = headers.get(name);
    if (v === null || !test(v)) problems.push(`${name}=${v}`);
  };
  want('strict-transport-security', (v) => /max-age=\d{7,}/.test(v));
  want('x-content-type-options', (v) => v === 'nosniff');
  want('x-frame-options', (v) => v === 'DENY');
  want('content-security-policy', (v) => v.includes("default-src 'self'"));
  want('referrer-policy', (v) => v.length > 0);
  want('permissions-policy', (v) => v.includes('camera=()'));
  want('cache-control', (v) => v === 'no-store');
  // Nothing may announce the server's stack.
  if (headers.get('x-powered-by') !== null) problems.push(`x-powered-by=${headers.get('x-powered-by')}`);
  if (problems.length > 0) throw new Error(`expected security headers on ${what}, but: ${problems.join(', ')}`);
}

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);
