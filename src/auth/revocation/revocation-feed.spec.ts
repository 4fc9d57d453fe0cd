import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { LIVENESS_MS, RevocationFeed, type FeedHandlers } from './revocation-feed';

const CHANNEL = 'bw:revocations';

/** Just enough of an ioredis client: pub/sub wired back to every subscriber, unless cut. */
class FakeRedis extends EventEmitter {
  status = 'ready';
  delivering = true;
  subscribeFails = false;
  readonly published: string[] = [];
  readonly disconnects: boolean[] = [];
  subscribers: FakeRedis[] = [];

  subscribe(): Promise<number> {
    return this.subscribeFails ? Promise.reject(new Error('No subscriber for the cluster')) : Promise.resolve(1);
  }
  publish(channel: string, message: string): Promise<number> {
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
    feed = new RevocationFeed(commands as unknown as Redis, subscriber as unknown as Redis, 60_000);
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
