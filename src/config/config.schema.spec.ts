import { ConfigError, parseConfig } from './config.schema';

describe('configuration schema', () => {
  it('gives development defaults for an empty environment', () => {
    const c = parseConfig({});
    expect(c.NODE_ENV).toBe('development');
    expect(c.PORT).toBe(3000);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.RATE_LIMIT_TRANSFERS).toEqual({ limit: 20, windowMs: 3_600_000 });
    expect(c.TRANSFER_LIMITS_BASIC).toEqual({ perTransaction: '1000.00', daily: '5000.00' });
    expect(c.ENABLE_RATE_LIMITING).toBe(true);
  });

  it('treats empty strings as unset', () => {
    expect(parseConfig({ DATABASE_URL: '', REDIS_URL: '' }).REDIS_URL).toBeUndefined();
  });

  it.each([
    ['dev-secret-change-in-production'],
    ['secret'],
    ['changeme'],
    ['short-but-unique-secret'],
  ])('refuses the weak JWT_SECRET %p in production', (secret) => {
    expect(() =>
      parseConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://x@h/db', REDIS_URL: 'redis://h:6379', JWT_SECRET: secret }),
    ).toThrow(/JWT_SECRET/);
  });

  it.each([['dev-secret-change-in-production'], ['short-but-unique-secret']])('refuses the weak previous secret %p in production', (weak) => {
    expect(() =>
      parseConfig({
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://x@h/db',
        REDIS_URL: 'redis://h:6379',
        JWT_SECRET: 'k'.repeat(16) + 'Q9x!'.repeat(5),
        JWT_PREVIOUS_SECRETS: `${'p'.repeat(16) + 'Z8y?'.repeat(5)},${weak}`,
      }),
    ).toThrow(/JWT_PREVIOUS_SECRETS entry 2 is weak/);
  });

  it('reads the previous secrets as a list', () => {
    expect(parseConfig({ JWT_PREVIOUS_SECRETS: ' a , b ,' }).JWT_PREVIOUS_SECRETS).toEqual(['a', 'b']);
    expect(parseConfig({}).JWT_PREVIOUS_SECRETS).toEqual([]);
  });

  it('names every bad key in one error', () => {
    try {
      parseConfig({ NODE_ENV: 'production', PORT: 'eighty', RATE_LIMIT_BIDS: '20 per minute', LOG_LEVEL: 'loud' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const keys = (err as ConfigError).problems.map((p) => p.split(' ')[0]).sort();
      expect(keys).toEqual(['DATABASE_URL', 'JWT_SECRET', 'LOG_LEVEL', 'PORT', 'RATE_LIMIT_BIDS', 'REDIS_URL']);
    }
  });

  it('accepts a strong production configuration', () => {
    const c = parseConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u:p@db:5432/bulwark',
      REDIS_URL: 'redis://cache:6379',
      JWT_SECRET: 'k'.repeat(16) + 'Q9x!'.repeat(5),
      TRUST_PROXY: '10.0.0.0/8, 127.0.0.1',
    });
    expect(c.TRUST_PROXY).toEqual(['10.0.0.0/8', '127.0.0.1']);
  });

  it('requires TLS certificate and key together', () => {
    expect(() => parseConfig({ TLS_CERT_FILE: '/etc/tls/cert.pem' })).toThrow(/TLS_KEY_FILE/);
  });

  it('requires the drain to end before the shutdown grace (which includes it)', () => {
    expect(() => parseConfig({ SHUTDOWN_DRAIN_MS: '25000' })).toThrow(/SHUTDOWN_DRAIN_MS must be less than SHUTDOWN_GRACE_MS \(25000\)/);
    expect(() => parseConfig({ SHUTDOWN_DRAIN_MS: '5000', SHUTDOWN_GRACE_MS: '4000' })).toThrow(/SHUTDOWN_DRAIN_MS/);
    expect(parseConfig({ SHUTDOWN_DRAIN_MS: '24999' }).SHUTDOWN_DRAIN_MS).toBe(24_999);
  });
});
