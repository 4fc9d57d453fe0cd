/**
 * One Socket.IO connection per user, websocket transport only, through the balancer. It follows
 * every auction of the user's leagues and records each `seq` it receives, per auction, in order.
 * When the connection drops (replica killed, frozen, restarted, or dropped on purpose) it
 * reconnects to a ready replica and re-joins with `lastSeq`, as a careful client does. Nothing
 * is de-duplicated here: the checker must see exactly what the server sent.
 */
import { io, type Socket } from 'socket.io-client';
import type { Fleet } from './fleet';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SocketBidAck {
  ok: boolean;
  code?: string;
  bid?: { bidId: string; amount: string; seq: number };
}

export class UserSocket {
  /** auctionId → seqs received (bid_update and auction_closed), in arrival order. */
  readonly streams = new Map<string, number[]>();
  reconnects = 0;
  /** The replica (slot and process) the current connection goes to. */
  replica?: { slot: string; pid: number };
  private socket?: Socket;
  private connected = false;
  private stopped = false;
  private connecting?: Promise<void>;

  constructor(
    readonly userId: string,
    private readonly fleet: Fleet,
    private readonly token: () => string,
  ) {}

  lastSeq(auctionId: string): number {
    const s = this.streams.get(auctionId);
    return s && s.length > 0 ? s[s.length - 1] : 0;
  }

  isConnected(): boolean {
    return this.connected;
  }

  follow(auctionId: string): void {
    if (this.streams.has(auctionId)) return;
    this.streams.set(auctionId, []);
    if (this.connected && this.socket) void this.join(this.socket, auctionId);
  }

  start(): Promise<void> {
    this.connecting ??= this.connectLoop().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Drops the connection on purpose; it comes back after `pauseMs` and re-joins with lastSeq. */
  async drop(pauseMs: number): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    this.connected = false;
    s?.removeAllListeners();
    s?.disconnect();
    await sleep(pauseMs);
    if (!this.stopped) await this.start();
  }

  private async connectLoop(): Promise<void> {
    for (let i = 0; i < 200 && !this.stopped && !this.connected; i++) {
      const slot = this.fleet.pick();
      // The slot's process is read once: a fault may replace (or clear) it while we connect.
      const app = slot?.app;
      if (!slot || !app) {
        await sleep(250);
        continue;
      }
      const socket = io(app.baseUrl, {
        path: '/api/socket.io',
        transports: ['websocket'],
        auth: { token: this.token() },
        reconnection: false,
        forceNew: true,
        timeout: 5_000,
      });
      const connected = await new Promise<boolean>((res) => {
        socket.once('connect', () => res(true));
        socket.once('connect_error', () => res(false));
        setTimeout(() => res(false), 6_000);
      });
      if (!connected) {
        socket.removeAllListeners();
        socket.disconnect();
        await sleep(300 + i * 50);
        continue;
      }
      const record = (payload: { auctionId?: string; seq?: number }) => {
        if (this.socket !== socket || !payload?.auctionId) return;
        this.streams.get(payload.auctionId)?.push(Number(payload.seq));
      };
      socket.on('bid_update', record);
      socket.on('auction_closed', record);
      socket.on('disconnect', () => {
        if (this.socket !== socket) return;
        this.socket = undefined;
        this.connected = false;
        socket.removeAllListeners();
        if (!this.stopped) {
          this.reconnects++;
          void sleep(200).then(() => this.start());
        }
      });
      this.socket = socket;
      this.replica = { slot: slot.name, pid: app.pid };
      this.connected = true;
      for (const auctionId of this.streams.keys()) void this.join(socket, auctionId);
    }
  }

  /** A join that fails leaves the socket outside the room: start over on a fresh connection. */
  private async join(socket: Socket, auctionId: string): Promise<void> {
    try {
      const ack = (await socket
        .timeout(8_000)
        .emitWithAck('auction:join', { auctionId, lastSeq: this.lastSeq(auctionId) })) as { ok: boolean };
      if (ack?.ok) return;
    } catch {
      /* no ack in time */
    }
    if (this.socket === socket) await this.drop(300);
  }

  async placeBid(auctionId: string, amount: string): Promise<SocketBidAck | undefined> {
    const socket = this.socket;
    if (!socket || !this.connected) return undefined;
    try {
      return (await socket.timeout(5_000).emitWithAck('bid:place', { auctionId, amount })) as SocketBidAck;
    } catch {
      return undefined; // no ack: outcome unknown
    }
  }

  stop(): void {
    this.stopped = true;
    this.connected = false;
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = undefined;
  }
}
