/**
 * ioredis gives a client up for good when its connector is told to disconnect while a
 * reconnection is under way (Sentinel's failover detector does this on +switch-master while the
 * client still retries the dead primary; src/infra/redis/client-revival.ts). The race is inside
 * the library, so it is reproduced here the way the detector does it: the connector's
 * disconnect() lands right as a reconnection starts (a private field, test-only).
 */
import { Redis } from 'ioredis';
import { reconnectWhenEnded } from '../../src/infra/redis/client-revival';
import { reconnectDelay } from '../../src/infra/redis/redis-topology';
import { sharedRedisUrl, sleep } from '../harness';

function abortNextReconnection(client: Redis): void {
  client.once('connecting', () => (client as unknown as { connector: { disconnect(): void } }).connector.disconnect());
  client.disconnect(true); // drop the connection and reconnect
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(10);
  }
}

describe('reconnectWhenEnded', () => {
  const clients: Redis[] = [];
  // Clients closed by the test itself: their 'end' may come after the next test has started, so
  // each client's "closing" is its own (a shared flag reset per test let one reconnect for good).
  const closed = new WeakSet<Redis>();
  const client = () => {
    const c = new Redis(sharedRedisUrl(), { retryStrategy: reconnectDelay, maxRetriesPerRequest: 1 });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  afterEach(() => {
    for (const c of clients.splice(0)) {
      closed.add(c);
      c.disconnect();
    }
  });

  it('without it, ioredis ends a client whose reconnection was aborted, and never retries', async () => {
    const c = client();
    await until('ready', () => c.status === 'ready');
    abortNextReconnection(c);
    await until('end', () => c.status === 'end');
    await sleep(1_000);
    expect(c.status).toBe('end');
    await expect(c.ping()).rejects.toThrow('Connection is closed');
  });

  it('connects such a client again; a subscriber gets its channels back', async () => {
    const c = client();
    const ended: number[] = [];
    reconnectWhenEnded(c, () => closed.has(c), () => ended.push(Date.now()));
    await until('ready', () => c.status === 'ready');
    const sub = client();
    reconnectWhenEnded(sub, () => closed.has(sub));
    const received: string[] = [];
    sub.on('message', (_channel: string, message: string) => received.push(message));
    await sub.subscribe('revival-test');

    abortNextReconnection(c);
    abortNextReconnection(sub);
    await until('both ended and back', () => ended.length === 1 && c.status === 'ready' && sub.status === 'ready');
    await expect(c.ping()).resolves.toBe('PONG');
    await until('the message', () => {
      void c.publish('revival-test', 'after');
      return received.includes('after');
    });
  });

  it('leaves a client ended while the process is closing', async () => {
    const c = client();
    let closing = false;
    reconnectWhenEnded(c, () => closing || closed.has(c));
    await until('ready', () => c.status === 'ready');
    closing = true;
    abortNextReconnection(c);
    await until('end', () => c.status === 'end');
    await sleep(1_000);
    expect(c.status).toBe('end');
  });
});
