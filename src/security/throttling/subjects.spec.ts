import { corsOptions, isAllowedOrigin } from '../http/cors';
import { parseConfig } from '../../config/config.schema';
import { isExemptRoute, rateLimitHeaders, signinSubject, userIdOf } from './subjects';

describe('throttling subjects', () => {
  it.each([
    ['/health/live', true],
    ['/health/ready', true],
    ['/metrics', true],
    ['/api/v1/security/rate-limit', false],
    ['/healthz', false],
    [undefined, false],
  ])('exempts %s from throttling: %s', (route, exempt) => {
    expect(isExemptRoute(route)).toBe(exempt);
  });

  it('keys sign-in by IP and the lowercased, trimmed email', () => {
    expect(signinSubject('203.0.113.7', '  Alice@Example.TEST ')).toBe('ip:203.0.113.7:email:alice@example.test');
    expect(signinSubject('203.0.113.7', 42)).toBe('ip:203.0.113.7:email:');
    expect(signinSubject('1.2.3.4', 'x'.repeat(10_000)).length).toBeLessThan(300);
  });

  it('finds the user of a user subject only', () => {
    expect(userIdOf('user:abc')).toBe('abc');
    expect(userIdOf('ip:1.2.3.4')).toBeUndefined();
  });

  it('renders RateLimit-* headers as strings', () => {
    expect(rateLimitHeaders({ limit: 20, remaining: 0, resetSeconds: 7 })).toEqual({ 'RateLimit-Limit': '20', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '7' });
  });
});

describe('CORS', () => {
  const allow = (origin: string | undefined, list: string[]) =>
    new Promise<boolean>((resolve) => corsOptions(list).origin(origin, (_e, ok) => resolve(ok)));

  it('allows only listed origins, exactly', async () => {
    expect(await allow('https://app.example.com', ['https://app.example.com'])).toBe(true);
    expect(await allow('https://evil.example.com', ['https://app.example.com'])).toBe(false);
    expect(await allow('https://app.example.com.evil.test', ['https://app.example.com'])).toBe(false);
    expect(await allow(undefined, ['https://app.example.com'])).toBe(false);
    expect(isAllowedOrigin('https://app.example.com', [])).toBe(false);
    expect(corsOptions([]).credentials).toBe(true);
  });

  it('config refuses a wildcard or a non-origin in CORS_ORIGINS and normalises trailing slashes', () => {
    expect(() => parseConfig({ CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS/);
    expect(() => parseConfig({ CORS_ORIGINS: 'https://*.example.com' })).toThrow(/CORS_ORIGINS/);
    expect(() => parseConfig({ CORS_ORIGINS: 'app.example.com' })).toThrow(/CORS_ORIGINS/);
    expect(parseConfig({ CORS_ORIGINS: 'https://app.example.com/, http://localhost:5173' }).CORS_ORIGINS).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
  });
});
