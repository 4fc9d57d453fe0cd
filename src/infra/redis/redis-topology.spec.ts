import { parseConfig } from '../../config/config.schema';
import { clusterOptions, COMMAND_SLOTS_REFRESH_MS, describeTopology, FAST_SLOTS_REFRESH_MS, parseClusterNodes, redisOptions, topologyOf } from './redis-topology';

describe('Redis topology options', () => {
  it('maps each setting to its ioredis options, with the credentials', () => {
    const s = topologyOf(parseConfig({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'mymaster', REDIS_PASSWORD: 'pw' }))!;
    expect(s.mode).toBe('sentinel');
    const so = redisOptions(s as Exclude<typeof s, { mode: 'cluster' }>, { name: 'store' });
    expect(so).toMatchObject({ sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }], name: 'mymaster', password: 'pw', sentinelPassword: 'pw', enableOfflineQueue: false, maxRetriesPerRequest: 1 });

    const c = topologyOf(parseConfig({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_USERNAME: 'app', REDIS_PASSWORD: 'pw' }))!;
    const co = clusterOptions(c as Extract<typeof c, { mode: 'cluster' }>, { name: 'io-sub', subscriber: true, shardedSubscriber: true });
    expect(co).toMatchObject({ shardedSubscribers: true, enableOfflineQueue: true, scaleReads: 'master', redisOptions: { username: 'app', password: 'pw', maxRetriesPerRequest: null } });
    expect(topologyOf(parseConfig({}))).toBeUndefined();
  });

  it('refreshes the Cluster slot map every 2 s for subscribers and the watched store client, every 10 s for other command clients', () => {
    const c = topologyOf(parseConfig({ REDIS_CLUSTER_NODES: 'a:7000' }))! as Extract<ReturnType<typeof topologyOf>, { mode: 'cluster' }>;
    const every = (role: Parameters<typeof clusterOptions>[1]) => clusterOptions(c, role).slotsRefreshInterval;
    expect([FAST_SLOTS_REFRESH_MS, COMMAND_SLOTS_REFRESH_MS]).toEqual([2_000, 10_000]);
    expect(every({ name: 'revocations-sub', subscriber: true })).toBe(2_000);
    expect(every({ name: 'io-sub', subscriber: true, shardedSubscriber: true })).toBe(2_000);
    expect(every({ name: 'store', watchesTopology: true })).toBe(2_000);
    expect(every({ name: 'limiter', commandTimeoutMs: 100, autoPipelining: true })).toBe(10_000);
    expect(every({ name: 'io-pub' })).toBe(10_000);
  });

  it('never names a password, not even one inside REDIS_URL', () => {
    expect(describeTopology(topologyOf(parseConfig({ REDIS_URL: 'redis://user:secret@cache:6379/0' }))!)).toBe('redis://cache:6379');
  });

  it('reads roles and states from CLUSTER NODES', () => {
    const text = [
      'a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460',
      'b2 127.0.0.1:7001@17001 master,fail - 0 0 2 disconnected',
      'c3 127.0.0.1:7002@17002 slave a1 0 0 1 connected',
      '',
    ].join('\n');
    expect(parseClusterNodes(text)).toEqual([
      { address: '127.0.0.1:7000', role: 'primary', state: 'up' },
      { address: '127.0.0.1:7001', role: 'primary', state: 'down', detail: 'master,fail disconnected' },
      { address: '127.0.0.1:7002', role: 'replica', state: 'up' },
    ]);
  });
});
