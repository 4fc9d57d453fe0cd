/**
 * Redis Sentinel (1 primary, 1 replica, 3 sentinels, password-protected, started by the harness
 * for this file): two app replicas share it through REDIS_SENTINELS + REDIS_SENTINEL_NAME and
 * REDIS_PASSWORD. Same user-visible behaviour as one server (the shared suite), the topology on
 * /health/check and /metrics, a primary failover under load, and start-up with bad settings.
 */
import { api, createDatabase, createUser, type AppProcess, type TestUser } from '../harness';
import { startRedisSentinel, type RedisSentinelFixture } from '../harness/redis-ha';
import { waitFor } from '../auctions/support';
import { failoverUnderLoad } from './failover';
import { expectStartRefused } from './startup';
import { replicaEnv, sharedStateSuite, signOutRefusedEverywhere, startReplicas } from './suite';

const PASSWORD = 'sentinel-test-password';

describe('shared state on Redis Sentinel', () => {
  let sentinel: RedisSentinelFixture;
  let dbUrl: string;
  let a: AppProcess;
  let b: AppProcess;
  let admin: TestUser;
  let topology: Record<string, string>;

  beforeAll(async () => {
    [sentinel, dbUrl] = await Promise.all([startRedisSentinel({ password: PASSWORD }), createDatabase()]);
    topology = { REDIS_SENTINELS: sentinel.sentinels, REDIS_SENTINEL_NAME: sentinel.name, REDIS_PASSWORD: PASSWORD };
    [a, b] = await startReplicas(dbUrl, replicaEnv(topology));
    admin = await createUser(dbUrl, { roles: ['ADMIN'] });
  }, 240_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await sentinel?.stop();
  });

  it('names the topology, the sentinels, the primary and the replica with their states', async () => {
    // Right after start a busy machine may miss the 500 ms health ping once.
    await waitFor(async () => (await api(b.baseUrl, 'GET', '/health/check')).body.components.redis.status === 'up', 10_000, 'redis up');
    const res = await api(b.baseUrl, 'GET', '/health/check');
    expect(res.body.components.redis).toMatchObject({ status: 'up', topology: 'sentinel' });
    const nodes = res.body.components.redis.nodes as Array<{ address: string; role: string; state: string }>;
    expect(nodes.filter((n) => n.role === 'sentinel').map((n) => n.address).sort()).toEqual(sentinel.sentinels.split(',').sort());
    expect(nodes.filter((n) => n.role === 'primary')).toEqual([{ address: `127.0.0.1:${sentinel.primaryPort()}`, role: 'primary', state: 'up' }]);
    expect(nodes.filter((n) => n.role === 'replica')).toEqual([expect.objectContaining({ role: 'replica', state: 'up' })]);
    expect(nodes.every((n) => n.state === 'up')).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain(PASSWORD);
    const metrics = (await api<string>(b.baseUrl, 'GET', '/metrics')).body;
    expect(metrics).toMatch(/^redis_topology_info\{mode="sentinel"\} 1$/m);
    expect(metrics).toMatch(/^redis_failovers_total 0$/m);
  });

  sharedStateSuite(() => ({ a, b, dbUrl, admin, primaryOf: () => sentinel.primaryPort(), minPrimaries: 1 }));

  it('refuses to start with an unknown sentinel name, a wrong or a missing password, naming the setting', async () => {
    // Started side by side: each start costs the app's module loading (~15 s on a busy machine).
    await Promise.all([
      expectStartRefused(dbUrl, { ...topology, REDIS_SENTINEL_NAME: 'no-such-primary' }, /REDIS_SENTINEL_NAME "no-such-primary" is not monitored/),
      expectStartRefused(dbUrl, { ...topology, REDIS_PASSWORD: 'wrong-password' }, /^Invalid configuration: REDIS_PASSWORD rejected/),
      expectStartRefused(dbUrl, { ...topology, REDIS_PASSWORD: '' }, /^Invalid configuration: REDIS_PASSWORD rejected/),
    ]);
  }, 180_000);

  it('survives a primary failover under load (the last test: the fixture is changed by it)', async () => {
    await failoverUnderLoad(a, b, dbUrl, {
      async kill() {
        const port = sentinel.primaryPort();
        await sentinel.kill(port);
        return { waitPromoted: () => sentinel.waitFailover(port) };
      },
    });
  }, 180_000);

  it('after the failover, a sign-out still ends the session on both replicas within 1 s', async () => {
    // Each replica re-subscribed to the revocation feed on the new primary and re-read the state.
    expect(await signOutRefusedEverywhere(a, b, dbUrl)).toBeLessThanOrEqual(1_000);
  }, 60_000);
});
