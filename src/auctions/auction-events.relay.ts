/**
 * Fan-out of bid_update and auction_closed, in order, exactly once per socket, on every replica.
 *
 * Why not just `io.to(room).emit()` through the Redis adapter: Redis pub/sub orders messages per
 * publisher, not across replicas (replica A may commit seq 5 and publish it after replica B has
 * published seq 6), and it drops whatever is published while a subscriber is disconnected. So the
 * committing replica publishes each event once on its own channel; every replica feeds what it
 * receives, and its own commits, into one EventSequencer per auction that has local sockets, and
 * emits to the local room only in seq order. A gap is filled from `auction_events` after a short
 * wait, and a periodic check against `auctions.seq` catches a lost tail. Joining with `lastSeq`
 * replays from the same table up to exactly what the room has been sent, then joins the room,
 * in one synchronous step, so a socket sees every seq once, in order.
 * Timer ticks (unordered, idempotent) go through the Socket.IO Redis adapter instead.
 */
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Server, Socket } from 'socket.io';
import { DataSource } from 'typeorm';
import { LOGGER } from '../infra/logging/logging.module';
import { ShutdownService } from '../infra/lifecycle/shutdown.service';
import { RedisFactory, type RedisClient } from '../infra/redis/redis.factory';
import { AuctionsRepository } from './auctions.repository';
import type { AuctionResponse } from './dto/auction.dto';
import { EventSequencer, type AuctionEvent } from './event-sequencer';
import { toAuctionResponse } from './views';

const GAP_WAIT_MS = 150;
const CATCH_UP_MS = 1_000;

export const auctionRoom = (auctionId: string) => `auction:${auctionId}`;
export const eventName = (event: AuctionEvent) => (event.type === 'bid' ? 'bid_update' : 'auction_closed');

interface RoomState {
  auctionId: string;
  sequencer: EventSequencer;
  pendingJoins: number;
  gapTimer?: NodeJS.Timeout;
  filling?: Promise<void>;
  /** lastDelivered seen behind the database at the previous check. */
  behindMark?: number;
}

@Injectable()
export class AuctionEventsRelay implements OnModuleInit {
  private readonly origin = randomUUID();
  private readonly rooms = new Map<string, RoomState>();
  private readonly listeners: Array<(event: AuctionEvent) => void> = [];
  private server?: Server;
  private pub?: RedisClient;
  private catchUpTimer?: NodeJS.Timeout;

  constructor(
    private readonly ds: DataSource,
    private readonly auctions: AuctionsRepository,
    private readonly redis: RedisFactory,
    private readonly shutdown: ShutdownService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    if (this.redis.enabled) {
      this.pub = this.redis.create({ name: 'auction-events-pub' });
      const sub = this.redis.create({ name: 'auction-events-sub', subscriber: true });
      sub.on('message', (channel: string, message: string) => {
        if (channel === this.redis.names.auctionEventsChannel) this.onRemote(message);
      });
      // Not awaited: start-up must not wait for Redis; ioredis subscribes once connected.
      sub
        .subscribe(this.redis.names.auctionEventsChannel)
        .catch((err: unknown) => this.logger.warn({ err: String(err) }, 'auction events: subscribe failed'));
    }
    this.catchUpTimer = setInterval(() => void this.catchUp(), CATCH_UP_MS);
    this.catchUpTimer.unref();
    this.shutdown.onShutdown({
      name: 'auction-events-relay',
      close: () => {
        clearInterval(this.catchUpTimer);
        for (const room of this.rooms.values()) clearTimeout(room.gapTimer);
      },
    });
  }

  attach(server: Server): void {
    this.server = server;
  }

  /** Called by whoever needs every event seen by this replica (the countdown driver). */
  onEvent(listener: (event: AuctionEvent) => void): void {
    this.listeners.push(listener);
  }

  /** After COMMIT: deliver locally now, and tell the other replicas. */
  publish(event: AuctionEvent): void {
    this.receive(event);
    this.pub?.publish(this.redis.names.auctionEventsChannel, JSON.stringify({ o: this.origin, e: event })).catch((err: unknown) => {
      // Other replicas catch up from the database within about two seconds.
      this.logger.warn({ err: String(err), auctionId: event.auctionId, seq: event.seq }, 'auction event not published');
    });
  }

  /**
   * Replays stored events after `lastSeq` to this socket, then puts it in the auction's room.
   * Returns the auction (members only) or undefined.
   */
  async join(
    socket: Socket,
    userId: string,
    auctionId: string,
    lastSeq?: number,
  ): Promise<AuctionResponse | undefined> {
    const room = this.track(auctionId);
    room.pendingJoins++;
    try {
      for (let attempt = 0; attempt < 10; attempt++) {
        const row = await this.auctions.findForMember(this.ds, auctionId, userId);
        if (!row) return undefined;
        const dbSeq = Number(row.seq);
        const wanted = lastSeq === undefined ? undefined : Math.min(lastSeq, dbSeq);
        if (wanted !== undefined && room.sequencer.initialized && room.sequencer.lastDelivered < wanted) {
          // The client is ahead of this replica's room: bring the room up to the client first,
          // or the room would send it events it already has.
          await this.fill(room, wanted);
          continue;
        }
        const replay =
          wanted !== undefined && wanted < dbSeq
            ? await this.auctions.eventsBetween(this.ds, auctionId, wanted, dbSeq)
            : [];
        // From here to the return, no await: nothing can be delivered to the room in between.
        const baseline = room.sequencer.initialized ? room.sequencer.lastDelivered : dbSeq;
        if (baseline > dbSeq) continue; // the room moved past our snapshot: read again
        if (!socket.connected) return undefined;
        for (const event of replay) if (event.seq <= baseline) socket.emit(eventName(event), event.payload);
        void socket.join(auctionRoom(auctionId));
        room.sequencer.initialize(baseline);
        return toAuctionResponse(row);
      }
      throw new Error(`could not catch up with auction ${auctionId}`);
    } finally {
      room.pendingJoins--;
    }
  }

  leave(socket: Socket, auctionId: string): void {
    void socket.leave(auctionRoom(auctionId));
  }

  private track(auctionId: string): RoomState {
    let room = this.rooms.get(auctionId);
    if (!room) {
      room = { auctionId, pendingJoins: 0, sequencer: new EventSequencer((e) => this.deliver(e)) };
      this.rooms.set(auctionId, room);
    }
    return room;
  }

  private onRemote(message: string): void {
    let parsed: { o?: string; e?: AuctionEvent };
    try {
      parsed = JSON.parse(message) as { o?: string; e?: AuctionEvent };
    } catch {
      return;
    }
    if (parsed.o === this.origin || !parsed.e || typeof parsed.e.seq !== 'number') return;
    this.receive(parsed.e);
  }

  private receive(event: AuctionEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.error({ err }, 'auction event listener failed');
      }
    }
    const room = this.rooms.get(event.auctionId);
    if (!room) return;
    room.sequencer.offer(event);
    this.watchGap(room);
  }

  private deliver(event: AuctionEvent): void {
    this.server?.local.to(auctionRoom(event.auctionId)).emit(eventName(event), event.payload);
  }

  private watchGap(room: RoomState): void {
    if (!room.sequencer.gap || room.gapTimer) return;
    room.gapTimer = setTimeout(() => {
      room.gapTimer = undefined;
      const gap = room.sequencer.gap;
      if (gap) void this.fill(room, gap.to);
    }, GAP_WAIT_MS);
    room.gapTimer.unref();
  }

  /** Reads stored events up to `upTo` and offers them, one fill at a time per auction. */
  private fill(room: RoomState, upTo: number): Promise<void> {
    if (room.filling) return room.filling;
    room.filling = (async () => {
      try {
        const from = room.sequencer.lastDelivered;
        if (!room.sequencer.initialized || upTo <= from) return;
        const events = await this.auctions.eventsBetween(this.ds, room.auctionId, from, upTo);
        for (const event of events) room.sequencer.offer(event);
      } catch (err) {
        this.logger.warn({ err: String(err), auctionId: room.auctionId }, 'auction events: gap fill failed');
      } finally {
        room.filling = undefined;
        this.watchGap(room);
      }
    })();
    return room.filling;
  }

  /** Drops rooms nobody here listens to; fills rooms that stayed behind the database. */
  private async catchUp(): Promise<void> {
    const local = this.server?.of('/').adapter.rooms;
    for (const [id, room] of this.rooms) {
      if (room.pendingJoins === 0 && !local?.get(auctionRoom(id))?.size) {
        clearTimeout(room.gapTimer);
        this.rooms.delete(id);
      }
    }
    const watched = [...this.rooms.values()].filter((r) => r.sequencer.initialized);
    if (watched.length === 0) return;
    try {
      const seqs = await this.auctions.currentSeqs(
        this.ds,
        watched.map((r) => r.auctionId),
      );
      for (const room of watched) {
        const dbSeq = seqs.get(room.auctionId) ?? 0;
        const delivered = room.sequencer.lastDelivered;
        if (dbSeq <= delivered) {
          room.behindMark = undefined;
        } else if (room.behindMark === delivered) {
          this.logger.warn(
            { auctionId: room.auctionId, delivered, dbSeq },
            'auction events: catching up from the database',
          );
          void this.fill(room, dbSeq);
        } else {
          room.behindMark = delivered;
        }
      }
    } catch (err) {
      this.logger.warn({ err: String(err) }, 'auction events: catch-up check failed');
    }
  }
}
