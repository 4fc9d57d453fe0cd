/**
 * ioredis gives a client up for good (status 'end', no more retries) when its connector is told
 * to disconnect while a reconnection is already under way: the attempt in progress fails with
 * "Connection is closed." and `Redis#connect()` ends the client. Sentinel's failover detector
 * does exactly that when `+switch-master` arrives while the client is still retrying the dead
 * primary. Seen in test/redis-ha/sentinel.int-spec.ts (in CI, and in the first local run): after a
 * failover one replica's store stayed on "Connection is closed." (fail-open throttling and
 * per-replica shared state for good) and the other's revocation subscriber never came back, so
 * it missed a sign-out. Our clients end only at shutdown, so any other 'end' is that race:
 * connect again, with the same capped backoff as every reconnection.
 */
import type { Redis } from 'ioredis';
import { reconnectDelay } from './redis-topology';

export function reconnectWhenEnded(client: Redis, isClosing: () => boolean, onEnded?: () => void): void {
  let attempt = 0;
  client.on('ready', () => {
    attempt = 0;
  });
  client.on('end', () => {
    if (isClosing()) return;
    onEnded?.();
    setTimeout(() => {
      if (isClosing() || client.status !== 'end') return;
      // A failed attempt ends the client again, and that 'end' schedules the next one. A
      // subscriber gets its channels back at 'ready' (ioredis keeps them across the end).
      client.connect().catch(() => undefined);
    }, reconnectDelay(++attempt)).unref();
  });
}
