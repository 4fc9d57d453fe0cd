import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { LIVENESS_MS, RevocationFeed, wasNotSent, type FeedHandlers } from './revocation-feed';
import { redisNames } from '../../infra/redis/redis-names';

const CHANNEL = 'bw:revocations';

/** Just enough of an ioredis client: pub/sub wired back to every subscriber, unless cut. */
class FakeRedis extends EventEmitter {
  status = 'ready';
  delivering = true;
  subscribeFails = false;
  /** Rejects every PUBLISH with this error instead of sending it. */
  publishError: Error | undefined;
  readonly published: string[] = [];
  readonly disconnects: boolean[] = [];
  subscribers: FakeRedis[] = [];

  subscribe(): Promise<number> {
    return this.subscribeFails ? Promise.reject(new Error('No subscriber for the cluster')) : Promise.resolve(1);
  }
  publish(channel: string, message: string): Promise<number> {
    if (this.publishError) return Promise.reject(this.publishError);
    this.published.push(message);
    for (const s of this.subscribers) if (s.delivering) s.emit('message', channel, message);
    return Promise.resolve(this.subscribers.length);
  }
  disconnect(reconnect: boolean): void {
    this.disconnects.push(reconnect);
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('RevocationFeed liveness (heartbeats over its own channel)', () => {
  let commands: FakeRedis;
  let subscriber: FakeRedis;
  let feed: RevocationFeed;
  let events: string[];

  beforeEach(async () => {
    commands = new FakeRedis();
    subscriber = new FakeRedis();
    commands.subscribers = [subscriber];
    feed = new RevocationFeed(commands as unknown as Redis, subscriber as unknown as Redis, 60_000, redisNames());
    events = [];
    const handlers: FeedHandlers = {
      onRecords: () => events.push('records'),
      onResubscribed: () => events.push('resubscribed'),
      onLost: () => events.push('lost'),
    };
    feed.start(handlers);
    await flush();
  });

  it('stays subscribed while its heartbeats come back', () => {
    expect(feed.isSubscribed).toBe(true);
    for (let t = 0; t < 20_000; t += 1_000) feed.checkLiveness(t);
    expect(commands.published.length).toBeGreaterThanOrEqual(10); // one in flight at a time, echoed at once
    expect(events).toEqual(['resubscribed']);
    expect(subscriber.disconnects).toEqual([]);
  });

  it('declares the feed lost and reconnects when a heartbeat is not echoed within LIVENESS_MS (a silent partition)', () => {
    feed.checkLiveness(0); // sent and echoed
    subscriber.delivering = false; // the socket stays open, nothing arrives
    feed.checkLiveness(1_000); // sent, never echoed
    feed.checkLiveness(1_000 + LIVENESS_MS); // not late yet
    expect(feed.isSubscribed).toBe(true);
    feed.checkLiveness(1_001 + LIVENESS_MS);
    expect(feed.isSubscribed).toBe(false);
    expect(events).toEqual(['resubscribed', 'lost']);
    expect(subscriber.disconnects).toEqual([true]);
  });

  it('gives a heartbeat a fresh LIVENESS_MS after its own process was paused (the echo may be unread)', () => {
    subscriber.delivering = false;
    feed.checkLiveness(0); // sent
    feed.checkLiveness(60_000, true); // resumed after a pause: not judged
    expect(feed.isSubscribed).toBe(true);
    feed.checkLiveness(60_001 + LIVENESS_MS); // still nothing: now it is lost
    expect(feed.isSubscribed).toBe(false);
  });

  it('does not judge a heartbeat the command connection could not send (it reconnects later than the subscriber)', async () => {
    commands.publishError = new Error("Stream isn't writeable and enableOfflineQueue options is false");
    for (let t = 0; t <= 4 * LIVENESS_MS; t += 1_000) {
      feed.checkLiveness(t);
      await flush();
    }
    expect(feed.isSubscribed).toBe(true);
    expect(events).toEqual(['resubscribed']);
    expect(subscriber.disconnects).toEqual([]);
    commands.publishError = undefined; // back: heartbeats flow and are echoed
    feed.checkLiveness(5 * LIVENESS_MS);
    expect(commands.published).toHaveLength(1);
    subscriber.delivering = false; // and a silent subscription is still caught
    feed.checkLiveness(5 * LIVENESS_MS + 1_000);
    feed.checkLiveness(6 * LIVENESS_MS + 1_001);
    expect(events).toEqual(['resubscribed', 'lost']);
  });

  it('still judges a heartbeat that timed out (a command written to a silently dead socket)', async () => {
    commands.publishError = new Error('Command timed out');
    feed.checkLiveness(0);
    await flush();
    feed.checkLiveness(1 + LIVENESS_MS);
    expect(feed.isSubscribed).toBe(false);
    expect(subscriber.disconnects).toEqual([true]);
  });

  it("re-subscribes on the next check when a SUBSCRIBE failed (a Cluster emits no second 'ready')", async () => {
    subscriber.emit('close');
    expect(events).toEqual(['resubscribed', 'lost']);
    subscriber.subscribeFails = true;
    subscriber.emit('ready');
    await flush();
    expect(feed.isSubscribed).toBe(false);
    subscriber.subscribeFails = false;
    feed.checkLiveness(5_000);
    await flush();
    expect(feed.isSubscribed).toBe(true);
    expect(events).toEqual(['resubscribed', 'lost', 'resubscribed']);
  });

  it("ignores other replicas' heartbeats and its own records, and hands on others' records", () => {
    subscriber.emit('message', CHANNEL, JSON.stringify({ o: 'other-replica', h: 1 }));
    subscriber.emit('message', CHANNEL, JSON.stringify({ o: 'other-replica', r: [{ kind: 'session', familyId: 'f', expiresAt: Date.now() + 60_000 }] }));
    expect(events).toEqual(['resubscribed', 'records']);
  });
});

describe('wasNotSent (ioredis refused a command without sending it)', () => {
  it.each([
    "Stream isn't writeable and enableOfflineQueue options is false",
    "Cluster isn't ready and enableOfflineQueue options is false",
    'Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.',
    'Connection is closed.',
  ])('%s', (message) => expect(wasNotSent(new Error(message))).toBe(true));

  it.each(['Command timed out', 'NOPERM this user has no permissions', 'LOADING Redis is loading the dataset in memory'])(
    'not: %s',
    (message) => expect(wasNotSent(new Error(message))).toBe(false),
  );
});
