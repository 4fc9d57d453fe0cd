import { rmSync } from 'node:fs';
import type { PostgresServer, RedisServer } from './processes';

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as Record<string, unknown>).__BW_SERVERS__ as { pg: PostgresServer; redis: RedisServer; documents: string } | undefined;
  await servers?.redis.stop();
  await servers?.pg.dispose();
  if (servers) rmSync(servers.documents, { recursive: true, force: true });
}
