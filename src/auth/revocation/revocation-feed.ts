/**
 * Where revocation records are shared between replicas, behind one small class so the Redis
 * topology (standalone, Sentinel, Cluster) only changes this file.
 * - State: one hash `bw:{revocations}` (field per record, JSON) and a sorted set
 *   `bw:{revocations}:expiry` (field → expiry ms) to drop expired fields. Both keys share a
 *   {hash tag}, so they live on one Cluster slot and one MULTI covers them. (These names, and
 *   the channel's, get the deployment's `REDIS_NAMESPACE` in front: redis-names.ts.)
 * - Changes: plain PUBLISH on `bw:revocations` (on Cluster, PUBLISH reaches every node's
 *   subscribers; SPUBLISH/SSUBSCRIBE on the slot's shard is the drop-in alternative here).
 * - After every (re)subscription — start, Redis restart, failover — `onResubscribed` runs so the
 *   service re-reads the whole state instead of trusting a cache that may have missed messages.
 * - Liveness: a subscription can die without a word — a partition that resets nothing (the
 *   socket stays "open" for hours), or a Cluster moving its subscriber connection to another
 *   node. So each replica sends itself a heartbeat over the same channel, one at a time; one not
 *   echoed within LIVENESS_MS means messages are not arriving: the feed is declared lost (the
 *   service fails staff requests closed after REVOCATION_MAX_STALENESS_MS) and the subscriber
 *   reconnects, which re-subscribes and re-reads.
 * Plain commands (HSET, HGETALL, ZADD, PEXPIRE, PUBLISH, SUBSCRIBE) and one short script for the
 * expiry cleanup; no keyspace notifications, so managed and clustered Redis work alike.
 */
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { RedisNames } from '../../infra/redis/redis-names';
import { parseRecord, recordKey, type RevocationRecord } from './revocation-state';

/**
 * Drops expired records in one step: read and delete as two commands could delete a record
 * another replica rewrote in between (same field, new expiry). At most 1,000 per call.
 */
const CLEANUP_LUA = `
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, 1000)
if #expired > 0 then
  redis.call('HDEL', KEYS[1], unpack(expired))
  redis.call('ZREM', KEYS[2], unpack(expired))
end
return #expired`;
/** A heartbeat not echoed within this long means the subscription no longer delivers. */
export const LIVENESS_MS = 3_000;

/**
 * ioredis refused a command without sending it: the connection is down or reconnecting (no
 * offline queue on command clients), or it dropped with the command unanswered and the retry was
 * used up. Not a timeout: a command written to a silently dead socket times out.
 */
export function wasNotSent(err: unknown): boolean {
  const message = err instanceof Error ? err.message : '';
  return /isn't writeable|isn't ready|max retries per request|Connection is closed/.test(message);
}

/** A standalone/Sentinel connection or a Cluster: only commands both offer are used. */
type FeedClient = Redis | Cluster;

export interface FeedHandlers {
  /** Records announced by another replica. */
  onRecords(records: RevocationRecord[]): void;
  /** The subscription is (again) in place: anything published from now on will arrive. */
  onResubscribed(): void;
  /** The subscription is lost: messages published from now on may be missed. */
  onLost(): void;
}

export class RevocationFeed {
  private readonly origin = randomUUID();
  private subscribed = false;
  private subscribing = false;
  private handlers?: FeedHandlers;
  /** When the heartbeat now in flight was sent; undefined while none is. */
  private heartbeatSentAt: number | undefined;
  private heartbeatSeq = 0;

  constructor(
    private readonly commands: FeedClient,
    private readonly subscriber: FeedClient,
    private readonly maxRecordTtlMs: number,
    private readonly names: RedisNames,
  ) {}

  get isSubscribed(): boolean {
    return this.subscribed;
  }

  start(handlers: FeedHandlers): void {
    this.handlers = handlers;
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.names.revocationsChannel) return;
      const records = this.decode(message);
      if (records.length > 0) handlers.onRecords(records);
    });
    this.subscriber.on('close', () => this.lost());
    this.subscriber.on('end', () => this.lost());
    // 'ready' follows every (re)connection; SUBSCRIBE again (idempotent) and wait for Redis to
    // confirm it, so nothing published after the confirmation can be missed by the re-read.
    this.subscriber.on('ready', () => this.subscribe());
    if (this.subscriber.status === 'ready') this.subscribe();
  }

  /**
   * Called every second by the service. Subscribes again when a SUBSCRIBE failed (a Cluster emits
   * no second 'ready' to retry on); otherwise sends a heartbeat, or — when the last one has not
   * come back within LIVENESS_MS — declares the feed lost and reconnects the subscriber.
   * `resumed`: the process itself was paused or blocked since the last call, so an echo may be
   * waiting unread in the socket: the heartbeat in flight gets a fresh LIVENESS_MS.
   */
  checkLiveness(now = Date.now(), resumed = false): void {
    if (!this.subscribed) {
      if (this.subscriber.status === 'ready') this.subscribe();
      return;
    }
    if (this.heartbeatSentAt === undefined) {
      this.heartbeatSentAt = now;
      const seq = ++this.heartbeatSeq;
      this.commands.publish(this.names.revocationsChannel, JSON.stringify({ o: this.origin, h: seq })).catch((err: unknown) => {
        // Never sent (the command connection is still reconnecting, e.g. just after Redis came
        // back, often later than the subscriber): its silence says nothing about the
        // subscription, so send the next one instead. A timeout or an error reply is judged by
        // the missing echo as before.
        if (wasNotSent(err) && this.heartbeatSeq === seq) this.heartbeatSentAt = undefined;
      });
      return;
    }
    if (resumed) {
      this.heartbeatSentAt = now;
      return;
    }
    if (now - this.heartbeatSentAt > LIVENESS_MS) {
      this.lost();
      // Both client kinds reconnect on disconnect(true): 'ready' then re-subscribes.
      this.subscriber.disconnect(true);
    }
  }

  private subscribe(): void {
    if (this.subscribing || !this.handlers) return;
    const handlers = this.handlers;
    this.subscribing = true;
    this.subscriber
      .subscribe(this.names.revocationsChannel)
      .then(() => {
        if (this.subscribed) return;
        this.subscribed = true;
        this.heartbeatSentAt = undefined;
        handlers.onResubscribed();
      })
      .catch(() => undefined /* retried on the next 'ready' or checkLiveness() */)
      .finally(() => {
        this.subscribing = false;
      });
  }

  private lost(): void {
    this.heartbeatSentAt = undefined;
    if (!this.subscribed) return;
    this.subscribed = false;
    this.handlers?.onLost();
  }

  /** Stores the records (each under its own field) and announces them; rejects when Redis cannot. */
  async publish(records: RevocationRecord[]): Promise<void> {
    if (records.length === 0) return;
    const tx = this.commands.multi();
    for (const r of records) {
      tx.hset(this.names.revocationsState, recordKey(r), JSON.stringify(r));
      tx.zadd(this.names.revocationsExpiry, r.expiresAt, recordKey(r));
    }
    // No record outlives the longest record lifetime from now: the keys go away when nothing
    // is revoked any more.
    tx.pexpire(this.names.revocationsState, this.maxRecordTtlMs);
    tx.pexpire(this.names.revocationsExpiry, this.maxRecordTtlMs);
    const results = await tx.exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('revocation write aborted');
    await this.commands.publish(this.names.revocationsChannel, JSON.stringify({ o: this.origin, r: records }));
  }

  /** Every live record in Redis; expired fields are removed on the way. */
  async readAll(now = Date.now()): Promise<RevocationRecord[]> {
    await this.commands.eval(CLEANUP_LUA, 2, this.names.revocationsState, this.names.revocationsExpiry, String(now));
    const all = await this.commands.hgetall(this.names.revocationsState);
    const out: RevocationRecord[] = [];
    for (const value of Object.values(all)) {
      const r = this.parse(value);
      if (r && r.expiresAt > now) out.push(r);
    }
    return out;
  }

  private decode(message: string): RevocationRecord[] {
    try {
      const parsed = JSON.parse(message) as { o?: unknown; r?: unknown; h?: unknown };
      if (parsed.o === this.origin) {
        if (parsed.h === this.heartbeatSeq) this.heartbeatSentAt = undefined; // the heartbeat came back
        return [];
      }
      if (!Array.isArray(parsed.r)) return []; // another replica's heartbeat
      return parsed.r.map((x) => parseRecord(x)).filter((r): r is RevocationRecord => r !== undefined);
    } catch {
      return [];
    }
  }

  private parse(value: string): RevocationRecord | undefined {
    try {
      return parseRecord(JSON.parse(value));
    } catch {
      return undefined;
    }
  }
}
