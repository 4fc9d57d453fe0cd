import { ConfigError, parseConfig } from './config.schema';
import { redisNames } from '../infra/redis/redis-names';

const strong = { NODE_ENV: 'production', DATABASE_URL: 'postgres://u:p@db:5432/b', JWT_SECRET: 'k'.repeat(16) + 'Q9x!'.repeat(5) };

function problems(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

describe('Redis topology settings', () => {
  it('parses sentinel and cluster address lists (IPv6 in brackets)', () => {
    const s = parseConfig({ REDIS_SENTINELS: 's1:26379, [::1]:26380', REDIS_SENTINEL_NAME: 'mymaster' });
    expect(s.REDIS_SENTINELS).toEqual([{ host: 's1', port: 26379 }, { host: '::1', port: 26380 }]);
    const c = parseConfig({ REDIS_CLUSTER_NODES: 'a:7000,b:7001' });
    expect(c.REDIS_CLUSTER_NODES).toEqual([{ host: 'a', port: 7000 }, { host: 'b', port: 7001 }]);
  });

  it('refuses two topologies, naming both', () => {
    const p = problems({ REDIS_URL: 'redis://h:6379', REDIS_CLUSTER_NODES: 'a:7000' });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/REDIS_URL and REDIS_CLUSTER_NODES are both set/);
    expect(problems({ REDIS_SENTINELS: 's:1', REDIS_SENTINEL_NAME: 'm', REDIS_CLUSTER_NODES: 'a:7000' })[0]).toMatch(
      /REDIS_SENTINELS and REDIS_CLUSTER_NODES/,
    );
  });

  it('needs the sentinel name with the sentinels and the other way round', () => {
    expect(problems({ REDIS_SENTINELS: 's:26379' })).toEqual([expect.stringMatching(/^REDIS_SENTINEL_NAME is required/)]);
    expect(problems({ REDIS_SENTINEL_NAME: 'm' })).toEqual([expect.stringMatching(/^REDIS_SENTINELS is required/)]);
  });

  it('names a bad address', () => {
    expect(problems({ REDIS_CLUSTER_NODES: 'a:7000,b' })).toEqual([expect.stringMatching(/^REDIS_CLUSTER_NODES "b" is not host:port/)]);
    expect(problems({ REDIS_CLUSTER_NODES: 'a:70000' })[0]).toMatch(/REDIS_CLUSTER_NODES "a:70000"/);
  });

  it('accepts any one topology in production, and none is refused', () => {
    expect(parseConfig({ ...strong, REDIS_URL: 'redis://h:6379' }).REDIS_URL).toBe('redis://h:6379');
    expect(parseConfig({ ...strong, REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm' }).REDIS_SENTINEL_NAME).toBe('m');
    expect(parseConfig({ ...strong, REDIS_CLUSTER_NODES: 'a:7000', REDIS_PASSWORD: 'pw' }).REDIS_PASSWORD).toBe('pw');
    expect(problems(strong)).toEqual([expect.stringMatching(/^REDIS_URL \(or REDIS_SENTINELS/)]);
  });
});

describe('REDIS_NAMESPACE', () => {
  it('keeps the names every release so far used when unset or empty', () => {
    for (const env of [{}, { REDIS_NAMESPACE: '' }, { REDIS_NAMESPACE: '  ' }]) {
      const names = redisNames(parseConfig(env).REDIS_NAMESPACE);
      expect(names).toEqual({
        keyPrefix: 'bw:',
        revocationsState: 'bw:{revocations}',
        revocationsExpiry: 'bw:{revocations}:expiry',
        revocationsChannel: 'bw:revocations',
        auctionEventsChannel: 'bw:auction-events',
        socketIo: 'socket.io',
      });
    }
  });

  it('puts the namespace in front of every key prefix and channel, hash tags untouched', () => {
    const names = redisNames(parseConfig({ REDIS_NAMESPACE: ' staging-2.eu ' }).REDIS_NAMESPACE);
    for (const name of Object.values(names)) expect(name.startsWith('staging-2.eu:')).toBe(true);
    expect(names.revocationsState).toBe('staging-2.eu:bw:{revocations}');
    expect(names.socketIo).toBe('staging-2.eu:socket.io');
  });

  it('refuses a namespace that would move Cluster hash slots or read as a key separator', () => {
    for (const bad of ['{tenant}', 'a:b', 'with space', '-leading', 'x'.repeat(65), 'é']) {
      expect(problems({ REDIS_NAMESPACE: bad })).toEqual([expect.stringMatching(/^REDIS_NAMESPACE letters, digits/)]);
      expect(() => redisNames(bad)).toThrow(/invalid Redis namespace/);
    }
    expect(problems({ REDIS_NAMESPACE: 'x'.repeat(64) })).toEqual([]);
  });
});
