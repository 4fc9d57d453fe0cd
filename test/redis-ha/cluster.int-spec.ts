/**
 * Redis Cluster (3 primaries, 3 replicas, started by the harness for this file): two app replicas
 * share it through REDIS_CLUSTER_NODES. Same user-visible behaviour as one server (the shared
 * suite), the topology on /health/check and /metrics, a primary failover under load, and start-up
 * with bad cluster settings: one clear message naming the setting, never a hang.
 */
import { Redis } from 'ioredis';
import { api, createDatabase, createUser, startApp, startRedis, type AppProcess, type RedisServer, type TestUser } from '../harness';
import { startRedisCluster, type RedisClusterFixture } from '../harness/redis-ha';
import { waitFor } from '../auctions/support';
import { failoverUnderLoad } from './failover';
import { ADMIN_ROUTE, as, randomIp, replicaEnv, sharedStateSuite, signOutRefusedEverywhere, startReplicas } from './suite';
import { expectStartRefused } from './startup';

describe('shared state on Redis Cluster', () => {
  let cluster: RedisClusterFixture;
  let dbUrl: string;
  let a: AppProcess;
  let b: AppProcess;
  let admin: TestUser;

  beforeAll(async () => {
    [cluster, dbUrl] = await Promise.all([startRedisCluster(), createDatabase()]);
    [a, b] = await startReplicas(dbUrl, replicaEnv({ REDIS_CLUSTER_NODES: cluster.nodes }));
    admin = await createUser(dbUrl, { roles: ['ADMIN'] });
  }, 240_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await cluster?.stop();
  });

  it('names the topology and every node with its role and state', async () => {
    // Right after start a busy machine may miss the 500 ms health ping once.
    await waitFor(async () => (await api(a.baseUrl, 'GET', '/health/check')).body.components.redis.status === 'up', 10_000, 'redis up');
    const res = await api(a.baseUrl, 'GET', '/health/check');
    expect(res.body.components.redis).toMatchObject({ status: 'up', topology: 'cluster' });
    const nodes = res.body.components.redis.nodes as Array<{ address: string; role: string; state: string }>;
    expect(nodes.map((n) => n.address).sort()).toEqual(cluster.ports.map((p) => `127.0.0.1:${p}`).sort());
    expect(nodes.filter((n) => n.role === 'primary').map((n) => n.address).sort()).toEqual(cluster.primaries().map((p) => `127.0.0.1:${p}`).sort());
    expect(nodes.filter((n) => n.role === 'replica')).toHaveLength(3);
    expect(nodes.every((n) => n.state === 'up')).toBe(true);
    const metrics = (await api<string>(a.baseUrl, 'GET', '/metrics')).body;
    expect(metrics).toMatch(/^redis_topology_info\{mode="cluster"\} 1$/m);
    expect(metrics).toMatch(/^redis_failovers_total 0$/m);
    expect(a.output()).toMatch(/"pubsub":"sharded"/);
  });

  sharedStateSuite(() => ({ a, b, dbUrl, admin, primaryOf: (key) => cluster.primaryFor(key), minPrimaries: 2 }));

  it('starts when one seed node is dead, and refuses a standalone server given as a cluster', async () => {
    const standalone: RedisServer = await startRedis();
    try {
      // Side by side: each start costs the app's module loading (~15 s on a busy machine).
      await Promise.all([
        (async () => {
          const app = await startApp({ databaseUrl: dbUrl, env: { REDIS_CLUSTER_NODES: `127.0.0.1:1,${cluster.nodes}` }, readyTimeoutMs: 110_000 });
          try {
            expect((await api(app.baseUrl, 'GET', '/health/check')).body.components.redis.status).toBe('up');
          } finally {
            await app.stop();
          }
        })(),
        expectStartRefused(dbUrl, { REDIS_CLUSTER_NODES: `127.0.0.1:${standalone.port}` }, /REDIS_CLUSTER_NODES: 127\.0\.0\.1:\d+ is not a Redis Cluster node/),
      ]);
    } finally {
      await standalone.stop();
    }
  }, 180_000);

  it('keeps a namespaced deployment beside them: its two-key scripts stay in one slot, its shard channels carry the namespace', async () => {
    // A second deployment (REDIS_NAMESPACE=gamma, its own database) on the same Cluster. The IP
    // block is a two-key script: a namespace that moved either key to another slot would fail it
    // with CROSSSLOT. The default-namespace replicas A and B (the suite above) do not see its counts.
    const gamma = await startApp({
      databaseUrl: await createDatabase(),
      env: replicaEnv({ REDIS_CLUSTER_NODES: cluster.nodes, REDIS_NAMESPACE: 'gamma' }),
      readyTimeoutMs: 110_000,
    });
    try {
      const ip = randomIp();
      const statuses: number[] = [];
      for (let i = 0; i < 31; i++) statuses.push((await api(gamma.baseUrl, 'GET', ADMIN_ROUTE, as(ip))).status);
      expect(statuses).toEqual([...Array.from({ length: 30 }, () => 401), 403]);
      expect((await api(a.baseUrl, 'GET', ADMIN_ROUTE, as(ip))).status).toBe(401);
      expect(gamma.output()).toMatch(/"pubsub":"sharded","channels":"gamma:socket.io"/);
      const shardChannels: string[] = [];
      for (const port of cluster.primaries()) {
        const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
        try {
          shardChannels.push(...((await node.call('PUBSUB', 'SHARDCHANNELS', '*')) as string[]));
        } finally {
          node.disconnect();
        }
      }
      expect(shardChannels).toEqual(expect.arrayContaining(['gamma:socket.io#/#', 'socket.io#/#']));
    } finally {
      await gamma.stop();
    }
  }, 180_000);

  it('survives a primary failover under load (the last test: the fixture is changed by it)', async () => {
    await failoverUnderLoad(a, b, dbUrl, {
      async kill(auctionId) {
        const port = cluster.primaryFor(`bw:auction-timer:${auctionId}`);
        await cluster.kill(port);
        return { waitPromoted: () => cluster.waitFailover(`bw:auction-timer:${auctionId}`, port) };
      },
    });
  }, 180_000);

  it('after the failover, a sign-out still ends the session on both replicas within 1 s', async () => {
    // Each replica re-subscribed to the revocation feed on the new primary and re-read the state.
    expect(await signOutRefusedEverywhere(a, b, dbUrl)).toBeLessThanOrEqual(1_000);
  }, 60_000);
});
