/**
 * The Socket.IO server behind every gateway: path /api/socket.io, Origin checked against
 * CORS_ORIGINS (empty: same-origin and non-browser clients only), and, when Redis is configured,
 * the @socket.io/redis-adapter so room broadcasts (timer_tick) reach sockets on every replica:
 * classic pub/sub on one server or Sentinel; on a Cluster, REDIS_CLUSTER_PUBSUB chooses sharded
 * pub/sub (SSUBSCRIBE per shard, each message only on its shard) or classic pub/sub (every
 * message crosses the whole cluster bus). Without Redis the in-process adapter serves the single
 * instance.
 * Clients behind a load balancer without sticky sessions must use transports: ['websocket'].
 * engine.io answers /api/socket.io on the Node server before Fastify sees it, so the headers every
 * answer carries (X-Request-Id, the security headers) are added here: on its HTTP answers (a
 * middleware: polling, handshakes, its own 400/403) and on the websocket upgrade (`headers`).
 */
import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ServerOptions } from 'socket.io';
import { AppConfig } from '../config/config.service';
import { SOCKET_MESSAGE_LIMIT_BYTES } from '../infra/http/body-limit';
import { requestIdFrom } from '../infra/http/http-hooks';
import { RAW_SECURITY_HEADERS } from '../infra/http/pre-route-errors';
import { RedisFactory, type RedisClient } from '../infra/redis/redis.factory';
import { SOCKET_PATH } from './auctions.gateway';

const REQUEST_ID = Symbol('bulwarkRequestId');

/** The security headers and the request's X-Request-Id (one per request, whichever hook asks first). */
function answerHeaders(req: IncomingMessage & { [REQUEST_ID]?: string }): Record<string, string> {
  req[REQUEST_ID] ??= requestIdFrom(req.headers['x-request-id']);
  return { ...RAW_SECURITY_HEADERS, 'X-Request-Id': req[REQUEST_ID] };
}

/**
 * The adapter publishes without handling the promise; with the offline queue off, a publish
 * while Redis is down would reject unhandled. Swallow (and log once per outage) instead: the
 * ordered events have their own catch-up, and a lost tick is replaced a second later.
 */
function guardedPublisher<T extends RedisClient>(client: T, logger: Logger): T {
  let warned = false;
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'publish' && prop !== 'spublish') return Reflect.get(target, prop, receiver) as unknown;
      return (channel: string, message: string | Buffer) =>
        target[prop](channel, message).then(
          (n) => {
            warned = false;
            return n;
          },
          (err: unknown) => {
            if (!warned) logger.warn({ err: String(err) }, 'socket.io broadcast to other replicas failed');
            warned = true;
            return 0;
          },
        );
    },
  });
}

type IoOptions = Parameters<IoAdapter['createIOServer']>[1];
type IoServer = ReturnType<IoAdapter['createIOServer']>;

export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[],
): boolean {
  if (!origin) return true; // not a browser: CORS does not apply
  if (allowed.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

export class RedisIoAdapter extends IoAdapter {
  private adapterConstructor?: ReturnType<typeof createAdapter> | ReturnType<typeof createShardedAdapter>;

  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly redis: RedisFactory,
    private readonly log: Logger,
  ) {
    super(app);
  }

  /** Opens the pub/sub pair once, before the server is created (never per namespace). */
  async connect(): Promise<void> {
    if (!this.redis.enabled) return;
    const sharded = this.redis.topology?.mode === 'cluster' && this.config.get('REDIS_CLUSTER_PUBSUB') === 'sharded';
    const pub = this.redis.create({ name: 'io-pub' });
    const sub = this.redis.create({ name: 'io-sub', subscriber: true, shardedSubscriber: sharded });
    await Promise.all([RedisFactory.waitReady(pub, 3_000), RedisFactory.waitReady(sub, 3_000)]);
    // The adapter's types name node-redis/ioredis loosely; both ioredis classes are accepted.
    this.adapterConstructor = sharded
      ? createShardedAdapter(guardedPublisher(pub, this.log) as never, sub as never, { channelPrefix: this.redis.names.socketIo })
      : createAdapter(guardedPublisher(pub, this.log), sub, { key: this.redis.names.socketIo });
    this.log.info(
      { mode: this.redis.topology?.mode, pubsub: sharded ? 'sharded' : 'classic', channels: this.redis.names.socketIo },
      'socket.io fan-out over redis',
    );
  }

  // Nest pins its own copy of socket.io; the types differ from ours only nominally.
  override createIOServer(port: number, options?: IoOptions): IoServer {
    const origins = this.config.get('CORS_ORIGINS');
    const server = super.createIOServer(port, {
      ...options,
      path: SOCKET_PATH,
      serveClient: false,
      // 100 KiB like a REST body (engine.io's default is 1 MB): a larger message closes the connection.
      maxHttpBufferSize: SOCKET_MESSAGE_LIMIT_BYTES,
      cors: origins.length > 0 ? { origin: origins, credentials: true } : undefined,
      allowRequest: (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => {
        const ok = originAllowed(req.headers.origin, req.headers.host, origins);
        callback(ok ? null : 'origin not allowed', ok);
      },
    } as Partial<ServerOptions> as IoOptions);
    if (this.adapterConstructor) server.adapter(this.adapterConstructor as never);
    const engine = server.engine as unknown as {
      use(fn: (req: IncomingMessage, res: ServerResponse, next: (err?: Error) => void) => void): void;
      on(event: 'headers', fn: (headers: Record<string, string>, req: IncomingMessage) => void): void;
    };
    engine.use((req, res, next) => {
      for (const [name, value] of Object.entries(answerHeaders(req))) res.setHeader(name, value);
      next();
    });
    engine.on('headers', (headers, req) => Object.assign(headers, answerHeaders(req)));
    return server;
  }
}
