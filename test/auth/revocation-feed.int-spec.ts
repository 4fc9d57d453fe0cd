/**
 * RevocationFeed against a real redis-server of its own: records are stored, read back and
 * announced; expired ones are removed from Redis in one atomic step (a record rewritten with a
 * new expiry is never removed), at most 1,000 per read, the rest on the next reads.
 */
import { Redis } from 'ioredis';
import { RevocationFeed } from '../../src/auth/revocation/revocation-feed';
import { redisNames } from '../../src/infra/redis/redis-names';
import type { RevocationRecord } from '../../src/auth/revocation/revocation-state';
import { startRedis, type RedisServer } from '../harness';

let server: RedisServer;
let commands: Redis;
let subscriber: Redis;
let feed: RevocationFeed;

beforeAll(async () => {
  server = await startRedis();
  commands = new Redis(server.url);
  subscriber = new Redis(server.url);
  feed = new RevocationFeed(commands, subscriber, 3_600_000, redisNames());
});
afterAll(async () => {
  commands?.disconnect();
  subscriber?.disconnect();
  await server?.stop();
});
beforeEach(() => commands.flushall());

const session = (familyId: string, expiresAt: number): RevocationRecord => ({ kind: 'session', familyId, expiresAt });

describe('RevocationFeed on Redis', () => {
  it('reads back live records and removes expired ones from both keys', async () => {
    const now = Date.now();
    await feed.publish([session('live', now + 60_000), session('old', now - 1), session('older', now - 60_000)]);
    expect(await commands.hlen('bw:{revocations}')).toBe(3);
    const read = await feed.readAll(now);
    expect(read).toEqual([session('live', now + 60_000)]);
    expect(await commands.hkeys('bw:{revocations}')).toEqual(['s:live']);
    expect(await commands.zrange('bw:{revocations}:expiry', 0, -1)).toEqual(['s:live']);
  });

  it('keeps a record rewritten with a later expiry (only what is expired at the moment of the cleanup goes)', async () => {
    const now = Date.now();
    await feed.publish([session('f', now - 1)]);
    await feed.publish([session('f', now + 60_000)]); // another replica's newer record, same field
    expect(await feed.readAll(now)).toEqual([session('f', now + 60_000)]);
    expect(await commands.hkeys('bw:{revocations}')).toEqual(['s:f']);
  });

  it('removes at most 1,000 expired records per read, the rest on the next', async () => {
    const now = Date.now();
    const expired = Array.from({ length: 1_200 }, (_, i) => session(`x${i}`, now - 1_000 + (i % 500)));
    for (let i = 0; i < expired.length; i += 300) await feed.publish(expired.slice(i, i + 300));
    expect(await feed.readAll(now)).toEqual([]);
    expect(await commands.hlen('bw:{revocations}')).toBe(200);
    expect(await feed.readAll(now)).toEqual([]);
    expect(await commands.hlen('bw:{revocations}')).toBe(0);
    expect(await commands.zcard('bw:{revocations}:expiry')).toBe(0);
  });
});
