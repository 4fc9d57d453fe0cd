/**
 * Zero-error rolling update. Two replicas serve a steady, bounded load through a client that
 * behaves like a load balancer: it routes round-robin to replicas whose readiness probe last
 * answered 200 (polled every 100 ms, as endpoints would be updated) and retries a request on
 * another replica only when the connection was refused. Replica A is terminated, C started,
 * B terminated: not one request may fail, and each terminated replica must have reported
 * not-ready before it exited, exiting 0 within its grace period.
 */
import { randomUUID } from 'node:crypto';
import { api, createDatabase, createUser, sharedRedisUrl, sleep, startApp, type AppProcess } from '../harness';

interface Replica {
  app: AppProcess;
  ready: boolean;
  sawNotReady: boolean;
  gone: boolean;
}

const GRACE_MS = 15_000;

describe('rolling update', () => {
  it('loses no request while replicas are replaced one by one', async () => {
    const databaseUrl = await createDatabase();
    const env = { SHUTDOWN_DRAIN_MS: '1500', SHUTDOWN_GRACE_MS: String(GRACE_MS), ENABLE_RATE_LIMITING: 'false' };
    const start = () => startApp({ databaseUrl, redisUrl: sharedRedisUrl(), env });
    const replicas: Replica[] = [];
    const add = (app: AppProcess) => replicas.push({ app, ready: true, sawNotReady: false, gone: false });
    add(await start());
    add(await start());
    const user = await createUser(databaseUrl, { roles: ['TELLER'], level: 'BUSINESS' });
    const account = (await api(replicas[0].app.baseUrl, 'POST', '/api/v1/accounts', { token: user.token, body: {} })).body.accountNumber as string;
    expect(account).toBeTruthy();
    let deposited = 0;

    let running = true;
    const poller = (async () => {
      while (running) {
        await Promise.all(
          replicas.map(async (r) => {
            if (r.gone) return;
            try {
              const res = await fetch(`${r.app.baseUrl}/health/ready`);
              r.ready = res.status === 200;
              if (!r.ready) r.sawNotReady = true;
            } catch {
              r.ready = false;
              r.gone = true;
            }
          }),
        );
        await sleep(100);
      }
    })();

    const failures: string[] = [];
    let ok = 0;
    let next = 0;
    // Reads and money movements: every deposit answered 201 must be in the balance at the end.
    const kinds = ['read', 'deposit', 'read', 'list'] as const;
    const worker = async () => {
      while (running) {
        const kind = kinds[next % kinds.length];
        const path = kind === 'read' ? `/api/v1/accounts/${account}` : kind === 'list' ? '/api/v1/accounts' : '/api/v1/deposits';
        const key = randomUUID();
        let attempts = 0;
        for (;;) {
          const candidates = replicas.filter((r) => r.ready && !r.gone);
          if (candidates.length === 0) {
            failures.push('no ready replica');
            break;
          }
          const target = candidates[next++ % candidates.length];
          try {
            const res =
              kind === 'deposit'
                ? await api(target.app.baseUrl, 'POST', path, {
                    token: user.token,
                    headers: { 'idempotency-key': key },
                    body: { accountNumber: account, amount: '1.00', description: 'rollout' },
                  })
                : await api(target.app.baseUrl, 'GET', path, { token: user.token });
            if (res.status === 201) deposited++;
            if (res.status === 200 || res.status === 201) ok++;
            else failures.push(`${path} -> ${res.status} from pid ${target.app.pid}`);
            break;
          } catch (err) {
            const code = (err as { cause?: { code?: string } }).cause?.code;
            if (code === 'ECONNREFUSED' && attempts++ < 3) continue; // the only retry a load balancer makes
            failures.push(`${path} -> ${code ?? String(err)} from pid ${target.app.pid}`);
            break;
          }
        }
        await sleep(5);
      }
    };
    const workers = Array.from({ length: 6 }, () => worker());

    const terminate = async (r: Replica) => {
      const t0 = Date.now();
      const code = await r.app.stop('SIGTERM', GRACE_MS + 5_000);
      return { code, ms: Date.now() - t0 };
    };

    await sleep(1_000);
    const a = await terminate(replicas[0]);
    add(await start());
    await sleep(1_000);
    const b = await terminate(replicas[1]);
    await sleep(1_000);
    running = false;
    await Promise.all(workers);
    await poller;
    const balance = (await api(replicas[2].app.baseUrl, 'GET', `/api/v1/accounts/${account}`, { token: user.token })).body.balance;
    await replicas[2].app.stop();
    expect(balance).toBe(`${deposited}.00`);

    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(300);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(a.ms).toBeLessThan(GRACE_MS);
    expect(b.ms).toBeLessThan(GRACE_MS);
    expect(replicas[0].sawNotReady).toBe(true);
    expect(replicas[1].sawNotReady).toBe(true);
  });
});
