/**
 * Factories and Socket.IO helpers for the auction tests: a league with members in one call, an
 * open auction in one call, sockets that record every event they receive, acks as promises.
 */
import { io, type Socket } from 'socket.io-client';
import {
  api,
  createDatabase,
  createUser,
  sharedRedisUrl,
  sleep,
  startApp,
  type AppProcess,
  type TestUser,
} from '../harness';
import { asyncApiViolation, assertAsyncApiMessage } from '../harness/asyncapi-contract';

/**
 * Server events that broke the AsyncAPI document, since the last check. A socket listener
 * cannot fail a test by throwing, so the test that received them fails in afterEach.
 */
const contractViolations: string[] = [];
afterEach(() => {
  const seen = contractViolations.splice(0);
  if (seen.length > 0) throw new Error(`Socket.IO events broke the AsyncAPI document:\n- ${seen.join('\n- ')}`);
});

/** Two replicas sharing one fresh database and the run's Redis. */
export async function startTwoReplicas(
  env: Record<string, string>,
): Promise<{ dbUrl: string; a: AppProcess; b: AppProcess }> {
  const dbUrl = await createDatabase();
  const [a, b] = await Promise.all([
    startApp({ databaseUrl: dbUrl, redisUrl: sharedRedisUrl(), env }),
    startApp({ databaseUrl: dbUrl, redisUrl: sharedRedisUrl(), env }),
  ]);
  return { dbUrl, a, b };
}

export interface League {
  id: string;
  inviteCode: string;
  ownerId: string;
  budget: string;
}

export interface Auction {
  id: string;
  leagueId: string;
  status: string;
  endsAt: string | null;
  seq: number;
}

export async function expectStatus<T = any>(
  res: Promise<{ status: number; body: T }>,
  status: number,
  what: string,
): Promise<T> {
  const r = await res;
  if (r.status !== status)
    throw new Error(`${what}: expected HTTP ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Verified users: the owner plus `members` extra participants. */
export async function users(dbUrl: string, count: number, opts: { verified?: boolean } = {}): Promise<TestUser[]> {
  return Promise.all(Array.from({ length: count }, () => createUser(dbUrl, { verified: opts.verified ?? true })));
}

/** Creates a league owned by `owner` and joins every member to it. */
export async function leagueWith(
  baseUrl: string,
  owner: TestUser,
  members: TestUser[],
  opts: { budget?: string; maxParticipants?: number } = {},
): Promise<League> {
  const league = await expectStatus<League>(
    api(baseUrl, 'POST', '/api/v1/leagues', {
      token: owner.token,
      body: {
        name: 'Test league',
        sport: 'football',
        budget: opts.budget ?? '1000.00',
        maxParticipants: opts.maxParticipants ?? 50,
      },
    }),
    201,
    'create league',
  );
  for (const m of members) {
    await expectStatus(
      api(baseUrl, 'POST', `/api/v1/leagues/${league.id}/join`, {
        token: m.token,
        body: { inviteCode: league.inviteCode },
      }),
      201,
      'join league',
    );
  }
  return league;
}

export async function createAuction(
  baseUrl: string,
  owner: TestUser,
  leagueId: string,
  opts: { startingPrice?: string; minIncrement?: string; durationSeconds?: number; antiSnipeSeconds?: number } = {},
): Promise<Auction> {
  return expectStatus<Auction>(
    api(baseUrl, 'POST', `/api/v1/leagues/${leagueId}/auctions`, {
      token: owner.token,
      body: {
        lot: 'Lot 1',
        startingPrice: opts.startingPrice ?? '1.00',
        minIncrement: opts.minIncrement ?? '1.00',
        durationSeconds: opts.durationSeconds ?? 60,
        antiSnipeSeconds: opts.antiSnipeSeconds ?? 0,
      },
    }),
    201,
    'create auction',
  );
}

export async function openAuction(
  baseUrl: string,
  owner: TestUser,
  leagueId: string,
  opts: Parameters<typeof createAuction>[3] = {},
): Promise<Auction> {
  const created = await createAuction(baseUrl, owner, leagueId, opts);
  return expectStatus<Auction>(
    api(baseUrl, 'POST', `/api/v1/auctions/${created.id}/start`, { token: owner.token }),
    200,
    'start auction',
  );
}

export interface Received {
  event: string;
  payload: any;
  at: number;
}

/** A socket that records every server event it receives, in arrival order. */
export interface RecordingSocket {
  socket: Socket;
  received: Received[];
  of(event: string): any[];
  seqs(event?: string): number[];
  close(): void;
}

export function recordSocket(socket: Socket): RecordingSocket {
  const received: Received[] = [];
  socket.onAny((event: string, payload: unknown) => {
    const violation = asyncApiViolation(event, payload);
    if (violation) contractViolations.push(violation);
    received.push({ event, payload, at: Date.now() });
  });
  return {
    socket,
    received,
    of: (event) => received.filter((r) => r.event === event).map((r) => r.payload),
    seqs: (event) =>
      received
        .filter((r) => (event ? r.event === event : r.event === 'bid_update' || r.event === 'auction_closed'))
        .map((r) => r.payload.seq as number),
    close: () => {
      socket.disconnect();
    },
  };
}

/** Connects over the websocket transport only (no sticky sessions needed) and resolves once connected. */
export function connect(
  baseUrl: string,
  token: string | undefined,
  opts: { reconnection?: boolean; headers?: Record<string, string> } = {},
): Promise<RecordingSocket> {
  const socket = io(baseUrl, {
    path: '/api/socket.io',
    transports: ['websocket'],
    auth: token === undefined ? {} : { token },
    reconnection: opts.reconnection ?? false,
    forceNew: true,
    ...(opts.headers ? { extraHeaders: opts.headers } : {}),
  });
  const recording = recordSocket(socket);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket did not connect within 5 s')), 5_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(recording);
    });
    socket.once('connect_error', (err: Error & { data?: unknown }) => {
      clearTimeout(timer);
      socket.disconnect();
      // A refusal by the server (not a transport failure) is a documented message.
      const violation = err.data === undefined ? undefined : asyncApiViolation('connect_error', { message: err.message, data: err.data });
      reject(violation ? new Error(violation) : err);
    });
  });
}

/** The connect_error message a handshake is refused with. */
export async function refusal(
  baseUrl: string,
  token: string | undefined,
  opts: { headers?: Record<string, string> } = {},
): Promise<{ message: string; active: boolean }> {
  try {
    const s = await connect(baseUrl, token, opts);
    s.close();
    return { message: 'connected', active: true };
  } catch (err) {
    return { message: (err as Error).message, active: false };
  }
}

/** Sends `event` and resolves with its acknowledgement, checked against the AsyncAPI document. */
export async function emitAck<T = any>(socket: Socket, event: string, payload: unknown, timeoutMs = 10_000): Promise<T> {
  const ack = (await socket.timeout(timeoutMs).emitWithAck(event, payload)) as T;
  assertAsyncApiMessage(`${event} ack`, ack);
  return ack;
}

export async function joinAuction(s: RecordingSocket, auctionId: string, lastSeq?: number): Promise<any> {
  const ack = await emitAck(s.socket, 'auction:join', lastSeq === undefined ? { auctionId } : { auctionId, lastSeq });
  if (!ack.ok) throw new Error(`auction:join refused: ${JSON.stringify(ack)}`);
  return ack;
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await sleep(25);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}

/** 1..n */
export const range = (from: number, to: number): number[] =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/** "12.50" for 1250 cents. */
export const money = (cents: number): string => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
