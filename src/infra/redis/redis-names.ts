/**
 * Every Redis key prefix and pub/sub channel the app uses, in one place, under the deployment's
 * namespace (`REDIS_NAMESPACE`). Pub/sub channels are global to a Redis server (a database
 * number in `REDIS_URL` separates keys but not channels), so two deployments sharing one Redis
 * (staging beside production, two tenants of a managed Redis) need distinct namespaces: without
 * them they share IP budgets and blocks, abuse counters, the retention lease (only one of them
 * would ever purge), revocation records and every auction and Socket.IO message.
 *
 * No namespace (the default) keeps the names every release so far has used, so replicas of an
 * older release and a newer one still share everything during a rolling update.
 */

/** Letters, digits, `.`, `_`, `-`: no `{`/`}` (they would change a key's Cluster hash slot) and no `:`. */
export const REDIS_NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface RedisNames {
  /** Put before every key the shared stores (throttling, IP blocks, abuse, leases) write. */
  readonly keyPrefix: string;
  /** The revocation records' hash and expiry index (one {hash tag}: one Cluster slot). */
  readonly revocationsState: string;
  readonly revocationsExpiry: string;
  /** Revocation announcements and the feed's heartbeats. */
  readonly revocationsChannel: string;
  /** Ordered auction events between replicas. */
  readonly auctionEventsChannel: string;
  /** The Socket.IO Redis adapter's `key` (classic) or `channelPrefix` (sharded). */
  readonly socketIo: string;
}

export function redisNames(namespace = ''): RedisNames {
  if (namespace !== '' && !REDIS_NAMESPACE_PATTERN.test(namespace)) {
    throw new Error(`invalid Redis namespace '${namespace}'`);
  }
  const ns = namespace === '' ? '' : `${namespace}:`;
  return {
    keyPrefix: `${ns}bw:`,
    revocationsState: `${ns}bw:{revocations}`,
    revocationsExpiry: `${ns}bw:{revocations}:expiry`,
    revocationsChannel: `${ns}bw:revocations`,
    auctionEventsChannel: `${ns}bw:auction-events`,
    socketIo: `${ns}socket.io`,
  };
}
