/**
 * The mixed workload: verified users moving money with Idempotency-Keys, reading, rotating and
 * replaying tokens, signing out; league owners running auctions back to back; everyone bidding
 * over REST and over their socket; a few greedy subjects deliberately over their budgets.
 * Every loop stops when `running` turns false, and none runs longer than the op deadline past it.
 */
import { randomUUID } from 'node:crypto';
import { ok, type History, type OpRecord, type SoakClient } from './client';
import type { Fleet } from './fleet';
import type { Prng } from './prng';
import { UserSocket } from './sockets';
import { Accounts, type SoakUser } from './users';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ANTI_SNIPE_S = 2;
export const money = (cents: number): string => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
export const cents = (text: string): number => Math.round(Number(text) * 100);

export interface OpenAuction {
  id: string;
  leagueId: string;
  endsAt: number;
  current: number;
}

export interface WorkloadOptions {
  users: number;
  greedy: number;
  /** Mean think time of a regular user between two actions (ms). */
  thinkMs: number;
}

export class Workload {
  readonly users: SoakUser[] = [];
  readonly sockets = new Map<string, UserSocket>();
  readonly auctions = new Map<string, OpenAuction>();
  readonly probes: Array<Promise<void>> = [];
  running = false;
  private loops: Array<Promise<void>> = [];

  constructor(
    private readonly client: SoakClient,
    readonly history: History,
    private readonly accounts: Accounts,
    private readonly fleet: Fleet,
    private readonly prng: Prng,
    private readonly opts: WorkloadOptions,
  ) {}

  /** Users sign up and verify, open accounts and fund them; two of them own a league each. */
  async setup(): Promise<void> {
    const total = this.opts.users + this.opts.greedy;
    for (let i = 0; i < total; i++) {
      const greedy = i >= this.opts.users;
      const user = await this.accounts.register(greedy ? `greedy${i}` : `user${i}`, greedy);
      if (!user) throw new Error(`setup: user ${i} could not sign up, verify and sign in`);
      const account = await this.client.request('open-account', 'POST', '/api/v1/accounts', {
        token: user.access,
        body: {},
        userId: user.id,
      });
      if (!ok(account)) throw new Error(`setup: opening an account answered ${account.status} ${account.code}`);
      user.accounts.push(account.body.accountNumber);
      await this.deposit(user, 100_000);
      this.users.push(user);
    }
    const regular = this.users.filter((u) => !u.greedy);
    for (const owner of regular.slice(0, 2)) {
      const league = await this.client.request('league', 'POST', '/api/v1/leagues', {
        token: owner.access,
        userId: owner.id,
        body: { name: `soak ${owner.email}`, sport: 'football', budget: '100000.00', maxParticipants: 100 },
      });
      if (!ok(league)) throw new Error(`setup: league creation answered ${league.status} ${league.code}`);
      owner.leagues.push(league.body.id);
      for (const member of this.users.filter((u) => u !== owner)) {
        const join = await this.client.request('join', 'POST', `/api/v1/leagues/${league.body.id}/join`, {
          token: member.access,
          userId: member.id,
          body: { inviteCode: league.body.inviteCode },
        });
        if (!ok(join)) throw new Error(`setup: joining a league answered ${join.status} ${join.code}`);
        member.leagues.push(league.body.id);
      }
    }
    for (const user of this.users) {
      const socket = new UserSocket(user.id, this.fleet, () => user.access);
      this.sockets.set(user.id, socket);
      await socket.start();
    }
  }

  start(): void {
    this.running = true;
    const regular = this.users.filter((u) => !u.greedy);
    this.loops = [
      ...regular.map((u, i) => this.userLoop(u, this.prng.fork(`user-${i}`))),
      ...regular.slice(0, 2).map((owner, i) => this.auctionLoop(owner, this.prng.fork(`auctions-${i}`))),
      ...this.users.filter((u) => u.greedy).map((u, i) => this.greedyLoop(u, i)),
      this.socketDropLoop(this.prng.fork('socket-drops')),
    ];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    await Promise.all(this.probes);
  }

  private async deposit(user: SoakUser, amountCents: number): Promise<OpRecord> {
    return this.client.request('deposit', 'POST', '/api/v1/deposits', {
      token: user.access,
      userId: user.id,
      key: randomUUID(),
      keepBody: true,
      body: { accountNumber: user.accounts[0], amount: money(amountCents), description: 'soak deposit' },
    });
  }

  private async userLoop(user: SoakUser, prng: Prng): Promise<void> {
    let n = 0;
    while (this.running && n++ < 1_000_000) {
      const roll = prng.next();
      if (roll < 0.18) await this.deposit(user, prng.int(100, 5_000));
      else if (roll < 0.28) {
        await this.client.request('withdrawal', 'POST', '/api/v1/withdrawals', {
          token: user.access,
          userId: user.id,
          key: randomUUID(),
          keepBody: true,
          body: {
            accountNumber: user.accounts[0],
            amount: money(prng.int(100, 8_000)),
            description: 'soak withdrawal',
          },
        });
      } else if (roll < 0.5) {
        const to = prng.pick(this.users.filter((u) => u !== user));
        // Mostly small; some over the balance (refused), a few over the per-transfer limit (refused).
        const amount = prng.chance(0.03)
          ? prng.int(500_001, 600_000)
          : prng.chance(0.1)
            ? prng.int(200_000, 400_000)
            : prng.int(100, 9_000);
        await this.client.request('transfer', 'POST', '/api/v1/transfers', {
          token: user.access,
          userId: user.id,
          key: randomUUID(),
          keepBody: true,
          body: {
            fromAccountNumber: user.accounts[0],
            toAccountNumber: to.accounts[0],
            amount: money(amount),
            description: 'soak transfer',
          },
        });
      } else if (roll < 0.68) {
        const path = prng.pick([
          `/api/v1/accounts/${user.accounts[0]}`,
          `/api/v1/transaction-logs/${user.accounts[0]}?limit=10`,
          '/api/v1/accounts',
        ]);
        await this.client.request('read', 'GET', path, { token: user.access, userId: user.id });
      } else if (roll < 0.88) {
        await this.bid(user, prng);
      } else if (roll < 0.95) {
        await this.accounts.refresh(user);
      } else if (roll < 0.975) {
        await this.accounts.replaySpent(user);
      } else {
        await this.accounts.signOut(user, this.probes);
      }
      await sleep(prng.int(this.opts.thinkMs / 2, (this.opts.thinkMs * 3) / 2));
    }
  }

  private async bid(user: SoakUser, prng: Prng, forceRest = false): Promise<void> {
    const snipe = prng.chance(0.05);
    const open = [...this.auctions.values()].filter(
      (a) => user.leagues.includes(a.leagueId) && a.endsAt > Date.now() + (snipe ? 0 : ANTI_SNIPE_S * 1000 + 1_000),
    );
    if (open.length === 0) return;
    const auction = prng.pick(open);
    const amount = money(Math.max(auction.current, 0) + 100 * prng.int(1, 3));
    const socket = this.sockets.get(user.id);
    if (!forceRest && socket?.isConnected() && prng.chance(0.5)) {
      const start = Date.now();
      const replica = socket.replica;
      const ack = await socket.placeBid(auction.id, amount);
      const status = ack === undefined ? undefined : ack.ok ? 201 : socketStatus(ack.code);
      this.history.add({
        kind: 'bid',
        method: 'SOCKET',
        path: 'bid:place',
        userId: user.id,
        start,
        end: Date.now(),
        status,
        code: ack?.code,
        attempts: [
          { replica: replica?.slot ?? 'socket', pid: replica?.pid, start, end: Date.now(), status, code: ack?.code },
        ],
        request: { auctionId: auction.id, amount },
        body: ack?.bid,
        via: 'socket',
      });
      if (ack?.ok && ack.bid) this.sawBid(auction, ack.bid);
      return;
    }
    const res = await this.client.request('bid', 'POST', `/api/v1/auctions/${auction.id}/bids`, {
      token: user.access,
      userId: user.id,
      body: { amount },
      keepBody: true,
    });
    if (ok(res)) this.sawBid(auction, res.body);
    else if (res.code === 'BID_TOO_LOW') {
      const seen = await this.client.request('read', 'GET', `/api/v1/auctions/${auction.id}`, {
        token: user.access,
        userId: user.id,
      });
      if (ok(seen) && seen.body.currentAmount)
        auction.current = Math.max(auction.current, cents(seen.body.currentAmount));
    }
  }

  private sawBid(auction: OpenAuction, bid: { amount: string; endsAt?: string }): void {
    auction.current = Math.max(auction.current, cents(bid.amount));
    if (bid.endsAt && auction.endsAt > 0) auction.endsAt = Math.max(auction.endsAt, Date.parse(bid.endsAt));
  }

  /** The owner runs short auctions back to back; every member's socket follows each one. */
  private async auctionLoop(owner: SoakUser, prng: Prng): Promise<void> {
    const leagueId = owner.leagues[0];
    for (let n = 0; this.running && n < 10_000; n++) {
      const created = await this.client.request('auction', 'POST', `/api/v1/leagues/${leagueId}/auctions`, {
        token: owner.access,
        userId: owner.id,
        body: {
          lot: `lot ${n}`,
          startingPrice: '1.00',
          minIncrement: '1.00',
          durationSeconds: prng.int(4, 9),
          antiSnipeSeconds: ANTI_SNIPE_S,
        },
      });
      if (!ok(created)) {
        await sleep(1_000);
        continue;
      }
      const id = created.body.id as string;
      for (const u of this.users) if (u.leagues.includes(leagueId)) this.sockets.get(u.id)?.follow(id);
      let started: OpRecord | undefined;
      for (
        let i = 0;
        i < 10 &&
        !ok(
          (started = await this.client.request('auction', 'POST', `/api/v1/auctions/${id}/start`, {
            token: owner.access,
            userId: owner.id,
          })),
        );
        i++
      ) {
        if (started.code === 'AUCTION_NOT_OPEN' || started.code === 'CONFLICT') break; // a retried start that went through
        await sleep(500);
      }
      const auction: OpenAuction = { id, leagueId, endsAt: Date.now() + 10_000, current: 0 };
      if (started && ok(started)) auction.endsAt = Date.parse(started.body.endsAt);
      this.auctions.set(id, auction);
      // Wait until it closed (or give up after a bounded time; the checker judges it anyway).
      for (let i = 0; i < 120; i++) {
        await sleep(Math.max(250, Math.min(2_000, auction.endsAt - Date.now())));
        const seen = await this.client.request('read', 'GET', `/api/v1/auctions/${id}`, {
          token: owner.access,
          userId: owner.id,
        });
        if (ok(seen)) {
          auction.endsAt = Date.parse(seen.body.endsAt);
          if (seen.body.status === 'CLOSED') break;
        }
        if (!this.running && i > 40) break;
      }
      auction.endsAt = 0;
    }
  }

  /**
   * Greedy subjects fire faster than their budgets allow, whatever the machine's speed: one lane
   * at deposits (or bids) and two at league creation, whose budget is small.
   */
  private async greedyLoop(user: SoakUser, i: number): Promise<void> {
    const lane = async (k: number) => {
      const prng = this.prng.fork(`greedy-${i}-${k}`);
      for (let n = 0; this.running; n++) {
        if (k > 0) {
          await this.client.request('league', 'POST', '/api/v1/leagues', {
            token: user.access,
            userId: user.id,
            body: { name: `greedy ${i}-${k}-${n}`, sport: 'chess', budget: '10.00', maxParticipants: 2 },
          });
        } else if (i % 2 === 0) await this.deposit(user, 100);
        else await this.bid(user, prng, true);
        await sleep(20);
      }
    };
    await Promise.all([0, 1, 2].map(lane));
  }

  /** Now and then a user's socket drops on purpose and comes back with lastSeq. */
  private async socketDropLoop(prng: Prng): Promise<void> {
    while (this.running) {
      await sleep(prng.int(1_000, 4_000));
      const user = prng.pick(this.users);
      const socket = this.sockets.get(user.id);
      if (socket && this.running) void socket.drop(prng.int(100, 1_500));
    }
  }
}

export function socketStatus(code: string | undefined): number {
  switch (code) {
    case 'RATE_LIMIT_EXCEEDED':
      return 429;
    case 'SERVICE_UNAVAILABLE':
      return 503;
    case 'INTERNAL':
      return 500;
    case 'UNAUTHENTICATED':
      return 401;
    case 'AUCTION_NOT_OPEN':
    case 'CONFLICT':
      return 409;
    default:
      return 422;
  }
}
