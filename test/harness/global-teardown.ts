import type { PostgresServer, RedisServer } from './processes';

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as Record<string, unknown>).__BW_SERVERS__ as { pg: PostgresServer; redis: RedisServer } | undefined;
  await servers?.redis.stop();
  await servers?.pg.stop();
}
