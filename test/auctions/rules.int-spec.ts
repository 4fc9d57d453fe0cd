/**
 * League and bidding rules over REST and Socket.IO, on one instance in single-instance mode
 * (no REDIS_URL: in-process Socket.IO adapter and store): membership, invite codes, LEAGUE_FULL,
 * BID_TOO_LOW, BUDGET_EXCEEDED, AUCTION_NOT_OPEN, NOT_A_PARTICIPANT, anti-snipe, the close
 * charging the winner once, and the socket handshake.
 */
import { io } from 'socket.io-client';
import {
  api,
  createDatabase,
  createUser,
  sleep,
  sql,
  startApp,
  tokenFor,
  type AppProcess,
  type TestUser,
} from '../harness';
import {
  connect,
  createAuction,
  emitAck,
  joinAuction,
  leagueWith,
  openAuction,
  refusal,
  users,
  waitFor,
} from './support';

describe('auction rules (single instance)', () => {
  let app: AppProcess;
  let dbUrl: string;
  let owner: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let outsider: TestUser;

  beforeAll(async () => {
    dbUrl = await createDatabase();
    app = await startApp({ databaseUrl: dbUrl, env: { ENABLE_RATE_LIMITING: 'false' } });
    [owner, alice, bob, outsider] = await users(dbUrl, 4);
  });
  afterAll(async () => {
    await app?.stop();
  });

  const post = (path: string, token: string, body?: unknown) => api(app.baseUrl, 'POST', path, { token, body });
  /** A counter's series by their one label's value, from /metrics. */
  const countsOf = async (metric: string, label: string): Promise<Record<string, number>> => {
    const text = (await api<string>(app.baseUrl, 'GET', '/metrics')).body;
    const series = new RegExp(`^${metric}\\{${label}="(\\w+)"\\} (\\d+)`, 'gm');
    return Object.fromEntries([...text.matchAll(series)].map((m) => [m[1], Number(m[2])]));
  };
  const bidsRejected = () => countsOf('bids_rejected_total', 'reason');
  /** What `count` added to errors_total, by code (codes it did not add are left out). */
  const errorsAddedBy = async (count: () => Promise<void>): Promise<Record<string, number>> => {
    const before = await countsOf('errors_total', 'code');
    await count();
    const after = await countsOf('errors_total', 'code');
    return Object.fromEntries(Object.entries(after).filter(([code, n]) => n !== (before[code] ?? 0)).map(([code, n]) => [code, n - (before[code] ?? 0)]));
  };
  const get = (path: string, token: string) => api(app.baseUrl, 'GET', path, { token });

  describe('leagues', () => {
    it('creates a league whose owner participates with the full budget', async () => {
      const res = await post('/api/v1/leagues', owner.token, {
        name: 'Premier',
        sport: 'football',
        budget: '250.50',
        maxParticipants: 8,
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        name: 'Premier',
        sport: 'football',
        ownerId: owner.id,
        budget: '250.50',
        maxParticipants: 8,
      });
      expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.inviteCode).toMatch(/^[A-Z0-9]{10}$/);
      const detail = await get(`/api/v1/leagues/${res.body.id}`, owner.token);
      expect(detail.status).toBe(200);
      expect(detail.body.participants).toEqual([{ userId: owner.id, remainingBudget: '250.50' }]);
    });

    it('answers 404 to someone outside the league, and to a wrong invite code', async () => {
      const league = await leagueWith(app.baseUrl, owner, []);
      expect((await get(`/api/v1/leagues/${league.id}`, outsider.token)).status).toBe(404);
      const wrong = await post(`/api/v1/leagues/${league.id}/join`, outsider.token, { inviteCode: 'WRONGCODE1' });
      expect(wrong.status).toBe(404);
      expect(wrong.body.code).toBe('NOT_FOUND');
      expect((await get(`/api/v1/leagues/${league.id}`, outsider.token)).status).toBe(404);
    });

    it('joins with the invite code; a second join is 409 CONFLICT; a full league is 409 LEAGUE_FULL', async () => {
      const league = await leagueWith(app.baseUrl, owner, [], { budget: '40.00', maxParticipants: 2 });
      const joined = await post(`/api/v1/leagues/${league.id}/join`, alice.token, {
        inviteCode: league.inviteCode.toLowerCase(),
      });
      expect(joined.status).toBe(201);
      expect(joined.body).toEqual({ userId: alice.id, remainingBudget: '40.00' });
      const again = await post(`/api/v1/leagues/${league.id}/join`, alice.token, { inviteCode: league.inviteCode });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('CONFLICT');
      const full = await post(`/api/v1/leagues/${league.id}/join`, bob.token, { inviteCode: league.inviteCode });
      expect(full.status).toBe(409);
      expect(full.body.code).toBe('LEAGUE_FULL');
      const [{ n }] = await sql<{ n: string }>(
        dbUrl,
        'SELECT count(*) AS n FROM league_participants WHERE league_id = $1',
        [league.id],
      );
      expect(Number(n)).toBe(2);
    });

    it('never overfills a league under concurrent joins', async () => {
      const league = await leagueWith(app.baseUrl, owner, [], { maxParticipants: 4 });
      const joiners = await users(dbUrl, 8);
      const results = await Promise.all(
        joiners.map((u) => post(`/api/v1/leagues/${league.id}/join`, u.token, { inviteCode: league.inviteCode })),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(3);
      expect(results.filter((r) => r.status === 409 && r.body.code === 'LEAGUE_FULL')).toHaveLength(5);
    });

    it('lists only the caller’s leagues, paginated with a cursor', async () => {
      const solo = await createUser(dbUrl);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await leagueWith(app.baseUrl, solo, [])).id);
      const page1 = await get('/api/v1/leagues?limit=2', solo.token);
      expect(page1.status).toBe(200);
      expect(page1.body.items.map((l: { id: string }) => l.id)).toEqual([ids[2], ids[1]]);
      expect(page1.body.items[0].remainingBudget).toBe('1000.00');
      expect(page1.body.nextCursor).toEqual(expect.any(String));
      const page2 = await get(`/api/v1/leagues?limit=2&cursor=${page1.body.nextCursor}`, solo.token);
      expect(page2.body.items.map((l: { id: string }) => l.id)).toEqual([ids[0]]);
      expect(page2.body.nextCursor).toBeNull();
      expect((await get('/api/v1/leagues?cursor=garbage', solo.token)).status).toBe(400);
      expect((await get('/api/v1/leagues?limit=101', solo.token)).status).toBe(400);
    });

    it('refuses unverified users, money as numbers, three decimals and unknown fields with 4xx problem codes', async () => {
      const unverified = await createUser(dbUrl, { verified: false });
      const res = await post('/api/v1/leagues', unverified.token, {
        name: 'x',
        sport: 'y',
        budget: '1.00',
        maxParticipants: 2,
      });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('EMAIL_NOT_VERIFIED');
      for (const body of [
        { name: 'x', sport: 'y', budget: 10, maxParticipants: 2 },
        { name: 'x', sport: 'y', budget: '1.234', maxParticipants: 2 },
        { name: 'x', sport: 'y', budget: '0.00', maxParticipants: 2 },
        // The API document's amount syntax and limit, as for the ledger (found by a black-box review).
        { name: 'x', sport: 'y', budget: '0100.00', maxParticipants: 2 },
        { name: 'x', sport: 'y', budget: '1000000000.01', maxParticipants: 2 },
        { name: 'x', sport: 'y', budget: '1.00', maxParticipants: 2, extra: true },
      ]) {
        const bad = await post('/api/v1/leagues', owner.token, body);
        expect({ body, status: bad.status, code: bad.body.code }).toEqual({
          body,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }
      expect((await get('/api/v1/leagues/not-a-uuid', owner.token)).status).toBe(400);
    });
  });

  describe('auctions and bids', () => {
    it('lets only the owner create and start auctions; endsAt is start + duration', async () => {
      const league = await leagueWith(app.baseUrl, owner, [alice]);
      const denied = await post(`/api/v1/leagues/${league.id}/auctions`, alice.token, {
        lot: 'x',
        startingPrice: '1.00',
        minIncrement: '1.00',
        durationSeconds: 10,
        antiSnipeSeconds: 0,
      });
      expect(denied.status).toBe(403);
      const auction = await createAuction(app.baseUrl, owner, league.id, {
        startingPrice: '5.00',
        minIncrement: '0.50',
        durationSeconds: 30,
        antiSnipeSeconds: 5,
      });
      expect(auction).toMatchObject({
        leagueId: league.id,
        status: 'SCHEDULED',
        startingPrice: '5.00',
        minIncrement: '0.50',
        durationSeconds: 30,
        antiSnipeSeconds: 5,
        seq: 0,
        endsAt: null,
      });
      expect((await post(`/api/v1/auctions/${auction.id}/start`, alice.token)).status).toBe(403);
      const notYet = await post(`/api/v1/auctions/${auction.id}/bids`, alice.token, { amount: '5.00' });
      expect(notYet.status).toBe(409);
      expect(notYet.body.code).toBe('AUCTION_NOT_OPEN');
      // It takes no body: one with fields is refused like a DTO's unknown field (DESIGN §3), and
      // the auction stays SCHEDULED; an empty object is no field at all.
      const withFields = await post(`/api/v1/auctions/${auction.id}/start`, owner.token, { durationSeconds: 5 });
      expect(withFields.status).toBe(400);
      expect(withFields.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ field: 'durationSeconds', message: 'property durationSeconds should not exist' }],
      });
      expect((await post(`/api/v1/auctions/${auction.id}/start`, owner.token, [])).body.errors).toEqual([
        { field: 'body', message: 'this route takes no request body' },
      ]);
      expect((await get(`/api/v1/auctions/${auction.id}`, owner.token)).body.status).toBe('SCHEDULED');
      const started = await post(`/api/v1/auctions/${auction.id}/start`, owner.token, {});
      expect(started.status).toBe(200);
      expect(started.body.status).toBe('OPEN');
      expect(Date.parse(started.body.endsAt) - Date.parse(started.body.startedAt)).toBe(30_000);
      expect((await post(`/api/v1/auctions/${auction.id}/start`, owner.token)).status).toBe(409);
      expect((await get(`/api/v1/auctions/${auction.id}`, outsider.token)).status).toBe(404);
    });

    it('enforces BID_TOO_LOW, BUDGET_EXCEEDED and NOT_A_PARTICIPANT, and accepts valid bids in seq order', async () => {
      const rejectedBefore = await bidsRejected();
      const league = await leagueWith(app.baseUrl, owner, [alice, bob], { budget: '20.00' });
      const auction = await openAuction(app.baseUrl, owner, league.id, { startingPrice: '5.00', minIncrement: '1.00' });
      const bid = (u: TestUser, amount: string) => post(`/api/v1/auctions/${auction.id}/bids`, u.token, { amount });

      const low = await bid(alice, '4.99');
      expect([low.status, low.body.code]).toEqual([422, 'BID_TOO_LOW']);
      const first = await bid(alice, '5.00');
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        auctionId: auction.id,
        amount: '5.00',
        bidderId: alice.id,
        seq: 1,
        endsAt: auction.endsAt,
      });
      expect(first.body.bidId).toMatch(/^[0-9a-f-]{36}$/);
      const under = await bid(bob, '5.99');
      expect([under.status, under.body.code]).toEqual([422, 'BID_TOO_LOW']);
      const over = await bid(bob, '20.01');
      expect([over.status, over.body.code]).toEqual([422, 'BUDGET_EXCEEDED']);
      const second = await bid(bob, '6.00');
      expect([second.status, second.body.seq]).toEqual([201, 2]);
      const stranger = await bid(outsider, '50.00');
      expect([stranger.status, stranger.body.code]).toEqual([403, 'NOT_A_PARTICIPANT']);
      for (const amount of [6.5, '', '-7.00', '7.001', '1e3', '0010.00', '1000000000.01']) {
        const bad = await post(`/api/v1/auctions/${auction.id}/bids`, bob.token, { amount });
        expect({ amount, status: bad.status }).toEqual({ amount, status: 400 });
      }
      const state = await get(`/api/v1/auctions/${auction.id}`, alice.token);
      expect(state.body).toMatchObject({
        status: 'OPEN',
        currentAmount: '6.00',
        leaderId: bob.id,
        seq: 2,
        winnerId: null,
      });
      // A socket's refusals count the same way, each once: the rules' (BID_TOO_LOW) and validation's.
      const s = await connect(app.baseUrl, bob.token);
      try {
        expect(await emitAck(s.socket, 'bid:place', { auctionId: auction.id, amount: '6.00' })).toMatchObject({ code: 'BID_TOO_LOW' });
        expect(await emitAck(s.socket, 'bid:place', { auctionId: auction.id, amount: 7 })).toMatchObject({ code: 'VALIDATION_FAILED' });
        expect(await emitAck(s.socket, 'bid:place', { auctionId: auction.id, amount: '0012.00' })).toMatchObject({ code: 'VALIDATION_FAILED' });
        // An event nobody handles is answered, not left to the client's timeout (a typo'd name);
        // without an ack it is dropped, and the socket goes on.
        s.socket.emit('auction:bid', { auctionId: auction.id, amount: '9.00' });
        expect(await s.socket.timeout(5_000).emitWithAck('auction:bid', { auctionId: auction.id, amount: '9.00' })).toEqual({
          ok: false,
          code: 'NOT_FOUND',
          message: 'No such event',
        });
      } finally {
        s.close();
      }
      const metrics = (await api<string>(app.baseUrl, 'GET', '/metrics')).body;
      expect(metrics).toMatch(/bids_accepted_total \d+/);
      expect(metrics).toContain('bid_latency_seconds_bucket{le="0.01"}');
      // Every refused attempt once, by code, whatever refused it: the validation pipe's 400s over
      // REST were not counted before (the socket's were).
      const rejected = await bidsRejected();
      const delta = (code: string) => (rejected[code] ?? 0) - (rejectedBefore[code] ?? 0);
      expect(['BID_TOO_LOW', 'BUDGET_EXCEEDED', 'NOT_A_PARTICIPANT', 'VALIDATION_FAILED'].map((c) => [c, delta(c)])).toEqual([
        ['BID_TOO_LOW', 3],
        ['BUDGET_EXCEEDED', 1],
        ['NOT_A_PARTICIPANT', 1],
        ['VALIDATION_FAILED', 9],
      ]);
    });

    it('counts what a bidder already leads with elsewhere in the league against the budget', async () => {
      const league = await leagueWith(app.baseUrl, owner, [alice], { budget: '100.00' });
      const a = await openAuction(app.baseUrl, owner, league.id);
      const b = await openAuction(app.baseUrl, owner, league.id);
      expect((await post(`/api/v1/auctions/${a.id}/bids`, alice.token, { amount: '60.00' })).status).toBe(201);
      const tooMuch = await post(`/api/v1/auctions/${b.id}/bids`, alice.token, { amount: '41.00' });
      expect([tooMuch.status, tooMuch.body.code]).toEqual([422, 'BUDGET_EXCEEDED']);
      expect((await post(`/api/v1/auctions/${b.id}/bids`, alice.token, { amount: '40.00' })).status).toBe(201);
      // Raising her own lead in A: A itself is not counted, B's 40 is, so 61 is over 100 - 40.
      expect((await post(`/api/v1/auctions/${a.id}/bids`, alice.token, { amount: '61.00' })).status).toBe(422);
      expect((await post(`/api/v1/auctions/${a.id}/bids`, owner.token, { amount: '61.00' })).status).toBe(201);
      expect((await post(`/api/v1/auctions/${b.id}/bids`, alice.token, { amount: '99.00' })).status).toBe(201);
    });

    it('never lets concurrent bids of one user in several auctions commit more than the budget', async () => {
      const league = await leagueWith(app.baseUrl, owner, [alice], { budget: '100.00' });
      const auctions = await Promise.all(Array.from({ length: 10 }, () => openAuction(app.baseUrl, owner, league.id)));
      const results = await Promise.all(
        auctions.map((x) => post(`/api/v1/auctions/${x.id}/bids`, alice.token, { amount: '30.00' })),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(3); // 3 × 30 <= 100 < 4 × 30
      expect(results.filter((r) => r.status === 422 && r.body.code === 'BUDGET_EXCEEDED')).toHaveLength(7);
    });

    it('extends the end only for an accepted bid inside the anti-snipe window, then closes once and charges the winner', async () => {
      const league = await leagueWith(app.baseUrl, owner, [alice, bob], { budget: '50.00' });
      const auction = await openAuction(app.baseUrl, owner, league.id, {
        durationSeconds: 6,
        antiSnipeSeconds: 3,
        startingPrice: '10.00',
      });
      const early = await post(`/api/v1/auctions/${auction.id}/bids`, alice.token, { amount: '10.00' });
      expect(early.status).toBe(201);
      expect(early.body.endsAt).toBe(auction.endsAt); // more than 3 s left: no extension
      await waitFor(() => Date.parse(auction.endsAt!) - Date.now() < 2_000, 8_000, 'the last 2 s of the auction');
      const rejected = await post(`/api/v1/auctions/${auction.id}/bids`, bob.token, { amount: '10.50' });
      expect(rejected.body.code).toBe('BID_TOO_LOW');
      expect((await get(`/api/v1/auctions/${auction.id}`, bob.token)).body.endsAt).toBe(auction.endsAt); // a refused bid extends nothing
      const late = await post(`/api/v1/auctions/${auction.id}/bids`, bob.token, { amount: '11.00' });
      expect(late.status).toBe(201);
      expect(Date.parse(late.body.endsAt)).toBeGreaterThan(Date.parse(auction.endsAt!));
      expect(Date.parse(late.body.endsAt) - Date.parse(late.body.at)).toBe(3_000);

      await waitFor(
        async () => (await get(`/api/v1/auctions/${auction.id}`, bob.token)).body.status === 'CLOSED',
        6_000,
        'the auction to close',
      );
      const closed = (await get(`/api/v1/auctions/${auction.id}`, bob.token)).body;
      expect(closed).toMatchObject({ status: 'CLOSED', winnerId: bob.id, currentAmount: '11.00', seq: 3 });
      const [row] = await sql<{ closed_at: Date; ends_at: Date }>(
        dbUrl,
        'SELECT closed_at, ends_at FROM auctions WHERE id = $1',
        [auction.id],
      );
      expect(row.closed_at.getTime()).toBeGreaterThanOrEqual(row.ends_at.getTime());
      expect(row.closed_at.getTime() - row.ends_at.getTime()).toBeLessThan(1_000);
      const budgets = await sql<{ user_id: string; remaining_budget: string }>(
        dbUrl,
        'SELECT user_id, remaining_budget FROM league_participants WHERE league_id = $1',
        [league.id],
      );
      const byUser = Object.fromEntries(budgets.map((b) => [b.user_id, b.remaining_budget]));
      expect(byUser).toEqual({ [owner.id]: '5000', [alice.id]: '5000', [bob.id]: '3900' });
      const events = await sql<{ seq: string; type: string }>(
        dbUrl,
        'SELECT seq, type FROM auction_events WHERE auction_id = $1 ORDER BY seq',
        [auction.id],
      );
      expect(events.map((e) => `${e.seq}:${e.type}`)).toEqual(['1:bid', '2:bid', '3:closed']);
      const after = await post(`/api/v1/auctions/${auction.id}/bids`, alice.token, { amount: '40.00' });
      expect([after.status, after.body.code]).toEqual([409, 'AUCTION_NOT_OPEN']);
    });
  });

  it('closes an auction without bids with no winner and charges nobody', async () => {
    const league = await leagueWith(app.baseUrl, owner, [alice], { budget: '10.00' });
    const auction = await openAuction(app.baseUrl, owner, league.id, { durationSeconds: 2 });
    const s = await connect(app.baseUrl, alice.token);
    try {
      await joinAuction(s, auction.id);
      await waitFor(() => s.of('auction_closed').length === 1, 4_000, 'auction_closed');
      expect(s.of('auction_closed')).toEqual([{ auctionId: auction.id, seq: 1, winnerId: null, amount: null }]);
    } finally {
      s.close();
    }
    expect((await get(`/api/v1/auctions/${auction.id}`, alice.token)).body).toMatchObject({
      status: 'CLOSED',
      winnerId: null,
      currentAmount: null,
      seq: 1,
    });
    const budgets = await sql<{ remaining_budget: string }>(
      dbUrl,
      'SELECT remaining_budget FROM league_participants WHERE league_id = $1',
      [league.id],
    );
    expect(budgets.map((b) => b.remaining_budget)).toEqual(['1000', '1000']);
  });

  it('documents the auction endpoints and their DTOs in OpenAPI', async () => {
    const doc = (await api(app.baseUrl, 'GET', '/api/docs-json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/leagues',
        '/api/v1/leagues/{id}',
        '/api/v1/leagues/{id}/join',
        '/api/v1/leagues/{id}/auctions',
        '/api/v1/auctions/{id}',
        '/api/v1/auctions/{id}/start',
        '/api/v1/auctions/{id}/bids',
      ]),
    );
    expect(doc.components.schemas.CreateLeagueDto.required).toEqual(
      expect.arrayContaining(['name', 'sport', 'budget', 'maxParticipants']),
    );
    expect(doc.components.schemas.PlaceBidDto.properties.amount).toMatchObject({ type: 'string', example: '12.50' });
    expect(doc.components.schemas.AuctionResponse.properties.status.enum).toEqual(['SCHEDULED', 'OPEN', 'CLOSED']);
  });

  describe('socket', () => {
    it('refuses the handshake with UNAUTHENTICATED for a missing, expired or forged token, and EMAIL_NOT_VERIFIED when unverified', async () => {
      const unverified = await createUser(dbUrl, { verified: false });
      // Each refused handshake is an error answer in errors_total, as a REST 401 is: an operator
      // sees a wave of them (a bad key rotation, expired tokens) where the HTTP errors are counted.
      const added = await errorsAddedBy(async () => {
        expect(await refusal(app.baseUrl, undefined)).toEqual({ message: 'UNAUTHENTICATED', active: false });
        expect((await refusal(app.baseUrl, tokenFor(alice, { expiresIn: -10 }))).message).toBe('UNAUTHENTICATED');
        expect(
          (await refusal(app.baseUrl, tokenFor(alice, { secret: 'another-secret-that-is-long-enough-000000' }))).message,
        ).toBe('UNAUTHENTICATED');
        expect((await refusal(app.baseUrl, unverified.token)).message).toBe('EMAIL_NOT_VERIFIED');
      });
      expect(added).toEqual({ UNAUTHENTICATED: 3, EMAIL_NOT_VERIFIED: 1 });
    });

    it('refuses a browser handshake from a foreign origin (CORS_ORIGINS empty) but accepts same-origin and non-browser clients', async () => {
      const attempt = (origin?: string) =>
        new Promise<string>((resolve) => {
          const socket = io(app.baseUrl, {
            path: '/api/socket.io',
            transports: ['websocket'],
            auth: { token: alice.token },
            reconnection: false,
            forceNew: true,
            extraHeaders: origin ? { origin } : {},
          });
          socket.once('connect', () => {
            socket.disconnect();
            resolve('connected');
          });
          socket.once('connect_error', () => {
            socket.disconnect();
            resolve('refused');
          });
        });
      expect(await attempt('https://evil.example')).toBe('refused');
      expect(await attempt(app.baseUrl)).toBe('connected');
      expect(await attempt()).toBe('connected');
    });

    it('answers every socket event through its ack with a stable code, never an internal error', async () => {
      const league = await leagueWith(app.baseUrl, owner, [alice]);
      const auction = await openAuction(app.baseUrl, owner, league.id, { startingPrice: '3.00' });
      const s = await connect(app.baseUrl, alice.token);
      const o = await connect(app.baseUrl, outsider.token);
      try {
        // Every refusing ack is an error answer in errors_total, by its code, as REST's are.
        const added = await errorsAddedBy(async () => {
          expect(await emitAck(o.socket, 'auction:join', { auctionId: auction.id })).toMatchObject({
            ok: false,
            code: 'NOT_FOUND',
          });
          expect(await emitAck(o.socket, 'bid:place', { auctionId: auction.id, amount: '5.00' })).toMatchObject({
            ok: false,
            code: 'NOT_A_PARTICIPANT',
          });
          for (const bad of [
            { auctionId: auction.id, amount: 5 },
            { auctionId: 'nope', amount: '5.00' },
            { auctionId: auction.id },
            'text',
            null,
            { auctionId: auction.id, amount: '5.00', x: 1 },
          ]) {
            expect(await emitAck(s.socket, 'bid:place', bad)).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
          }
          // lastSeq: a whole number from 0 to Number.MAX_SAFE_INTEGER (the AsyncAPI document's bounds).
          for (const lastSeq of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, 1e300, '3']) {
            expect(await emitAck(s.socket, 'auction:join', { auctionId: auction.id, lastSeq })).toMatchObject({
              ok: false,
              code: 'VALIDATION_FAILED',
            });
          }
          expect(await emitAck(s.socket, 'auction:join', { auctionId: auction.id, lastSeq: Number.MAX_SAFE_INTEGER })).toMatchObject({ ok: true });
          expect(await emitAck(s.socket, 'bid:place', { auctionId: auction.id, amount: '2.00' })).toMatchObject({
            ok: false,
            code: 'BID_TOO_LOW',
          });
          expect(await s.socket.timeout(5_000).emitWithAck('auction:watch', { auctionId: auction.id })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
        });
        expect(added).toEqual({ NOT_FOUND: 2, NOT_A_PARTICIPANT: 1, VALIDATION_FAILED: 11, BID_TOO_LOW: 1 });
        const joined = await joinAuction(s, auction.id);
        expect(joined.auction).toMatchObject({ id: auction.id, status: 'OPEN', seq: 0 });
        const ack = await emitAck(s.socket, 'bid:place', { auctionId: auction.id, amount: '3.00' });
        expect(ack).toMatchObject({
          ok: true,
          bid: { auctionId: auction.id, amount: '3.00', bidderId: alice.id, seq: 1 },
        });
        await waitFor(() => s.of('bid_update').length === 1, 2_000, 'the bid_update of the socket bid');
        expect(s.of('bid_update')[0]).toEqual({ ...ack.bid });
        await waitFor(() => s.of('timer_tick').length >= 1, 2_000, 'a timer_tick');
        expect(s.of('timer_tick')[0]).toMatchObject({
          auctionId: auction.id,
          endsAt: auction.endsAt,
          remainingMs: expect.any(Number),
        });
        expect(await emitAck(s.socket, 'auction:leave', { auctionId: auction.id })).toEqual({ ok: true });
        await sleep(1_300);
        const ticks = s.of('timer_tick').length;
        await sleep(1_300);
        expect(s.of('timer_tick').length).toBe(ticks); // left the room: no more ticks
      } finally {
        s.close();
        o.close();
      }
      const metrics = (await api<string>(app.baseUrl, 'GET', '/metrics')).body;
      expect(metrics).toMatch(/socket_connections_total [1-9]/);
      expect(metrics).toMatch(/timer_ticks_total [1-9]/);
      expect(metrics).toMatch(/active_connections \d/);
      expect(app.output()).not.toContain('Internal server error');
    });
  });
});
