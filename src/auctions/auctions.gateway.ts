/**
 * Socket.IO at /api/socket.io. The handshake must carry a valid access token of a verified user
 * in `auth.token` (verified once in io.use). The session stays checked afterwards: the socket is
 * told `session_expired` and disconnected when the token expires, and when its session is revoked
 * (RevocationService announces every change; every event is judged again too).
 * Every client → server event is answered through its ack, never by an exception: domain errors
 * become {ok:false, code}, dependency faults {ok:false, code:'SERVICE_UNAVAILABLE', retryAfter}
 * (logged once per burst by the OutageLog), anything unexpected {ok:false, code:'INTERNAL'}.
 * bid:place uses the same service method, rules and throttling budget as the REST endpoint.
 * The handshake is an HTTP request of its client IP like any other (counted in the IP window, and
 * refused with IP_BLOCKED while the IP is blocked); joins and bids of a blocked IP are refused too.
 */
import { type BeforeApplicationShutdown, Inject } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { Logger } from 'pino';
import type { Server, Socket } from 'socket.io';
import type { AuthUser } from '../auth/auth-user';
import { RevocationService } from '../auth/revocation/revocation.service';
import { TokenService } from '../auth/token.service';
import { AppConfig } from '../config/config.service';
import { DomainError, type FieldProblem } from '../infra/http/domain-error';
import { LOGGER } from '../infra/logging/logging.module';
import { StoreUnavailableError } from '../infra/redis/resilient-store';
import { dependencyFault, serviceUnavailable } from '../infra/resilience/dependency-fault';
import { OutageLog } from '../infra/resilience/outage-log';
import { IpProtectionService } from '../security/ip-protection/ip-protection.service';
import { RateLimitService, type RateLimitDecision } from '../security/throttling/rate-limit.service';
import { rawClientIp } from '../security/throttling/throttlers';
import { AuctionEventsRelay } from './auction-events.relay';
import { AuctionTimersService } from './auction-timers.service';
import { AuctionMetrics } from './auctions.metrics';
import { BiddingService } from './bidding.service';
import { JoinAuctionMessage, LeaveAuctionMessage, PlaceBidMessage } from './dto/socket-messages';
import { NotMemberRefusals } from './not-member.refusals';
import { parseMessage } from './socket-validation';

export const SOCKET_PATH = '/api/socket.io';

/** The events a client may send (each a @SubscribeMessage below; the gateway's nest-spec checks the list). */
export const CLIENT_EVENTS: ReadonlySet<string> = new Set(['auction:join', 'auction:leave', 'bid:place']);

export type Ack =
  | ({ ok: true } & Record<string, unknown>)
  | { ok: false; code: string; message: string; errors?: FieldProblem[]; retryAfter?: number };

interface SocketState {
  /** The client IP of the handshake (X-Forwarded-For only from TRUST_PROXY). */
  ip: string;
  user: AuthUser;
  expiresAt?: number;
  expiryTimer?: NodeJS.Timeout;
}

/** What refuses a handshake: the client's connect_error carries the message and `data`. */
type HandshakeRefusal = Error & { data: { code: string; retryAfter?: number } };

function refusal(code: 'UNAUTHENTICATED' | 'EMAIL_NOT_VERIFIED'): HandshakeRefusal;
function refusal(code: 'IP_BLOCKED', retryAfter: number): HandshakeRefusal;
function refusal(code: string, retryAfter?: number): HandshakeRefusal {
  return Object.assign(new Error(code), { data: retryAfter === undefined ? { code } : { code, retryAfter } });
}

/** `exp` of an already verified JWT, in ms. */
function tokenExpiryMs(token: string): number | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

@WebSocketGateway({ path: SOCKET_PATH })
export class AuctionsGateway
  implements OnGatewayInit<Server>, OnGatewayConnection<Socket>, OnGatewayDisconnect<Socket>, BeforeApplicationShutdown
{
  constructor(
    private readonly tokens: TokenService,
    private readonly bidding: BiddingService,
    private readonly relay: AuctionEventsRelay,
    private readonly timers: AuctionTimersService,
    private readonly rateLimit: RateLimitService,
    private readonly metrics: AuctionMetrics,
    private readonly config: AppConfig,
    private readonly outages: OutageLog,
    private readonly revocations: RevocationService,
    private readonly ipProtection: IpProtectionService,
    private readonly notMember: NotMemberRefusals,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.clientIp = rawClientIp(config.get('TRUST_PROXY'));
  }

  private server?: Server;
  private readonly clientIp: (req: Socket['request']) => string;

  afterInit(server: Server): void {
    this.server = server;
    server.use((socket, next) => this.admitAddress(socket, next));
    server.use((socket, next) => this.authenticate(socket, next));
    this.relay.attach(server);
    this.timers.attach(server);
    this.metrics.connectedSockets = () => server.of('/').sockets.size;
    this.revocations.onChange(() => this.recheckSessions());
  }

  /** After a revocation: end every local socket whose session it voids. */
  private recheckSessions(): void {
    for (const socket of this.server?.of('/').sockets.values() ?? []) {
      const state = socket.data as SocketState | undefined;
      if (state?.user && !this.revocations.judge(state.user).ok) this.endSession(socket);
    }
  }

  private endSession(socket: Socket): void {
    socket.emit('session_expired', { code: 'UNAUTHENTICATED' });
    socket.disconnect(true);
  }

  /**
   * Counts the handshake in its IP's window, before the token is looked at (as the HTTP guard
   * runs before the auth guard). If the limiter cannot answer, the connection goes on: the `ip`
   * window never fails closed.
   */
  private admitAddress(socket: Socket, next: (err?: Error) => void): void {
    const ip = this.clientIp(socket.request);
    (socket.data as Partial<SocketState>).ip = ip;
    this.ipProtection.admit(ip).then(
      (blocked) =>
        blocked ? this.refuse(next, refusal('IP_BLOCKED', Number(blocked.headers?.['Retry-After']))) : next(),
      (err: unknown) => {
        this.logger.warn({ err: String(err) }, 'socket handshake: IP window unavailable');
        next();
      },
    );
  }

  /**
   * Refuses the handshake (the client gets connect_error with the code as its message), counted
   * in errors_total like an HTTP error answer.
   */
  private refuse(next: (err?: Error) => void, err: HandshakeRefusal): void {
    this.metrics.errors.inc({ code: err.data.code });
    next(err);
  }

  /** An error passed to next() refuses the connection: the client gets connect_error with this message. */
  private authenticate(socket: Socket, next: (err?: Error) => void): void {
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    if (typeof token !== 'string' || token.length === 0) return this.refuse(next, refusal('UNAUTHENTICATED'));
    let user: AuthUser;
    try {
      user = this.tokens.verifyAccess(token);
    } catch {
      return this.refuse(next, refusal('UNAUTHENTICATED'));
    }
    const verdict = this.revocations.judge(user);
    if (!verdict.ok) {
      this.tokens.countRejection(verdict.reason);
      return this.refuse(next, refusal('UNAUTHENTICATED'));
    }
    if (!verdict.user.emailVerified) return this.refuse(next, refusal('EMAIL_NOT_VERIFIED'));
    const state: SocketState = { ip: (socket.data as SocketState).ip, user, expiresAt: tokenExpiryMs(token) };
    socket.data = state;
    next();
  }

  /**
   * Runs before Nest closes the Socket.IO server: tell this replica's clients that the coming
   * disconnect is a shutdown, so they reconnect (with jitter) to another replica and rejoin
   * with lastSeq. The close itself is a transport close, which clients retry on their own.
   */
  beforeApplicationShutdown(): void {
    this.server?.local.emit('server_shutdown', { reconnect: true });
  }

  handleConnection(socket: Socket): void {
    this.metrics.socketConnections.inc();
    // An event nobody handles was dropped without a word: a client waiting for its ack (a typo
    // in the event name) waited until its own timeout. It is refused like an unknown route.
    socket.use(([event, ...args], next) => {
      if (CLIENT_EVENTS.has(event)) return next();
      const ack: unknown = args.at(-1);
      this.metrics.errors.inc({ code: 'NOT_FOUND' });
      if (typeof ack === 'function') ack({ ok: false, code: 'NOT_FOUND', message: 'No such event' } satisfies Ack);
    });
    const state = socket.data as SocketState;
    if (state.expiresAt !== undefined) {
      // The token is only checked at the handshake: end the session when it expires.
      const ms = Math.min(state.expiresAt - Date.now(), 2_147_483_647);
      state.expiryTimer = setTimeout(() => this.endSession(socket), Math.max(0, ms));
      state.expiryTimer.unref();
    }
  }

  handleDisconnect(socket: Socket): void {
    this.metrics.socketDisconnects.inc();
    clearTimeout((socket.data as SocketState | undefined)?.expiryTimer);
  }

  @SubscribeMessage('auction:join')
  joinAuction(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<Ack> {
    return this.answer('auction:join', async () => {
      const user = this.userOf(socket);
      await this.refuseBlockedAddress(socket);
      const msg = await parseMessage(JoinAuctionMessage, body);
      const auction = await this.relay.join(socket, user.id, msg.auctionId, msg.lastSeq);
      if (!auction) throw await this.notMember.auction(user.id, msg.auctionId);
      return { ok: true, auction };
    });
  }

  @SubscribeMessage('auction:leave')
  leaveAuction(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<Ack> {
    return this.answer('auction:leave', async () => {
      this.userOf(socket);
      const msg = await parseMessage(LeaveAuctionMessage, body);
      this.relay.leave(socket, msg.auctionId);
      return { ok: true };
    });
  }

  @SubscribeMessage('bid:place')
  async placeBid(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<Ack> {
    const ack = await this.answer('bid:place', async () => {
      const user = this.userOf(socket);
      await this.refuseBlockedAddress(socket);
      // Counted before validation, as the HTTP guard counts before the validation pipe.
      const decision = await this.consumeBidBudget(user.id);
      if (!decision.allowed) {
        // The limiter itself reports the RATE_LIMITED security event and the throttling metric.
        return {
          ok: false,
          code: 'RATE_LIMIT_EXCEEDED',
          message: 'Too many bids; retry later',
          retryAfter: decision.resetSeconds,
        };
      }
      const msg = await parseMessage(PlaceBidMessage, body);
      const bid = await this.bidding.placeBid(user, msg.auctionId, msg.amount);
      return { ok: true, bid };
    });
    // Every refusal, as the REST route's error answers are counted (main.ts).
    if (!ack.ok) this.bidding.countRejection(ack.code);
    return ack;
  }

  /** The socket's user as of now (roles after any change); a revoked session ends here. */
  private userOf(socket: Socket): AuthUser {
    const verdict = this.revocations.judge((socket.data as SocketState).user);
    if (verdict.ok) return verdict.user;
    this.tokens.countRejection(verdict.reason);
    this.endSession(socket);
    throw new DomainError('UNAUTHENTICATED', 401, 'The session has ended');
  }

  /** 403 IP_BLOCKED (as an ack) while the socket's IP is blocked: it was admitted before the block. */
  private async refuseBlockedAddress(socket: Socket): Promise<void> {
    const blocked = await this.ipProtection.refusalWhileBlocked((socket.data as SocketState).ip);
    if (blocked) throw blocked;
  }

  /** Same budget and subject as REST (`user:<id>`). If the limiter's store fails, RATE_LIMIT_FAIL_MODE decides. */
  private async consumeBidBudget(userId: string): Promise<RateLimitDecision> {
    try {
      return await this.rateLimit.consume('bids', `user:${userId}`);
    } catch (err) {
      if (err instanceof DomainError) throw err; // e.g. 503 in fail-closed mode, decided by the limiter
      this.logger.warn({ err: String(err) }, 'bid throttle unavailable');
      if (this.config.get('RATE_LIMIT_FAIL_MODE') === 'closed') {
        throw serviceUnavailable(new StoreUnavailableError(String(err)));
      }
      const { limit } = this.rateLimit.budget('bids');
      return { allowed: true, limit, remaining: limit, resetSeconds: 0 };
    }
  }

  /** The event's ack; a refusing one (ok:false) is counted in errors_total, as REST's error answers are. */
  private async answer(event: string, work: () => Promise<Ack>): Promise<Ack> {
    const ack = await this.attempt(event, work);
    if (!ack.ok) this.metrics.errors.inc({ code: ack.code });
    return ack;
  }

  private async attempt(event: string, work: () => Promise<Ack>): Promise<Ack> {
    try {
      return await work();
    } catch (thrown) {
      // A dependency fault is {ok:false, code:'SERVICE_UNAVAILABLE', retryAfter}, as REST answers 503.
      const fault = dependencyFault(thrown);
      if (fault) this.outages.record(fault, thrown);
      const err = serviceUnavailable(thrown) ?? thrown;
      if (err instanceof DomainError) {
        const retryAfter = Number(err.headers?.['Retry-After']);
        return {
          ok: false,
          code: err.code,
          message: err.message,
          ...(err.errors ? { errors: err.errors } : {}),
          ...(Number.isFinite(retryAfter) ? { retryAfter } : {}),
        };
      }
      this.logger.error({ err, event }, 'socket event failed');
      return { ok: false, code: 'INTERNAL', message: 'An unexpected error occurred' };
    }
  }
}
