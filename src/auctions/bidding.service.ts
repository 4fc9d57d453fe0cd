/**
 * Placing bids and closing auctions: the two writers of an auction's sequence. Both run under
 * the auction's row lock in PostgreSQL, read the database clock there, and take the next `seq`
 * in the same statement that appends the event, so the order of seqs IS the order of commits
 * and no replica's clock matters. Broadcasts happen only after COMMIT, through the relay.
 * REST and Socket.IO call the same `placeBid`.
 */
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { AuthUser } from '../auth/auth-user';
import { DomainError } from '../infra/http/domain-error';
import { runInTransaction } from '../infra/database/transaction';
import { LOGGER } from '../infra/logging/logging.module';
import { SecurityEventsService } from '../security/security-events.service';
import { amountToMinor, formatMinor } from '../transactions/money';
import { AuctionEventsRelay } from './auction-events.relay';
import { AuctionMetrics } from './auctions.metrics';
import { AuctionsRepository } from './auctions.repository';
import type { BidResponse } from './dto/auction.dto';
import type { AuctionEvent } from './event-sequencer';
import { toBidResponse } from './views';

@Injectable()
export class BiddingService {
  constructor(
    private readonly ds: DataSource,
    private readonly auctions: AuctionsRepository,
    private readonly relay: AuctionEventsRelay,
    private readonly metrics: AuctionMetrics,
    private readonly securityEvents: SecurityEventsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Accepts or refuses one bid atomically; on acceptance the bid_update is broadcast after commit. */
  async placeBid(user: AuthUser, auctionId: string, amountText: string): Promise<BidResponse> {
    const started = process.hrtime.bigint();
    const amount = amountToMinor(amountText);
    let event: AuctionEvent;
    try {
      event = await runInTransaction(this.ds, async (tx) => {
        const auction = await this.auctions.lockAuction(tx, auctionId);
        if (!auction) throw new DomainError('NOT_FOUND', 404, 'No such auction');
        const bidder = await this.auctions.lockBidder(tx, auction, user.id);
        if (!bidder) throw new DomainError('NOT_A_PARTICIPANT', 403, 'Only participants of the league may bid');
        if (auction.status !== 'OPEN' || bidder.before_end !== true) {
          throw new DomainError('AUCTION_NOT_OPEN', 409, 'The auction is not open for bids');
        }
        const minimum =
          auction.current_amount === null
            ? BigInt(auction.starting_price)
            : BigInt(auction.current_amount) + BigInt(auction.min_increment);
        if (amount < minimum) {
          throw new DomainError('BID_TOO_LOW', 422, `The bid must be at least ${formatMinor(minimum)}`);
        }
        // Budget left = remaining budget minus what the bidder already leads with elsewhere in the
        // league, so every auction this bidder can still win is payable when it closes.
        const available = BigInt(bidder.remaining_budget) - BigInt(bidder.exposure);
        if (amount > available) {
          throw new DomainError(
            'BUDGET_EXCEEDED',
            422,
            `The bid is over your available budget of ${formatMinor(available < 0n ? 0n : available)}`,
          );
        }
        return this.auctions.recordBid(tx, {
          auctionId,
          bidId: randomUUID(),
          bidderId: user.id,
          amount,
          amountText: formatMinor(amount),
        });
      });
    } catch (err) {
      if (err instanceof DomainError) {
        if (err.code === 'BUDGET_EXCEEDED') {
          this.securityEvents
            .record(user.id, 'BID_OVER_BUDGET')
            .catch((e: unknown) => this.logger.warn({ err: String(e) }, 'security event not recorded'));
        }
      }
      throw err;
    }
    this.relay.publish(event);
    this.metrics.bidsAccepted.inc();
    this.metrics.bidLatency.observe(Number(process.hrtime.bigint() - started) / 1e9);
    return toBidResponse(event);
  }

  /**
   * Closes the auction if it is OPEN and past its end by the database clock; the winner's budget
   * is charged in the same transaction. Safe to call from any replica, any number of times.
   */
  async closeAuction(auctionId: string): Promise<AuctionEvent | undefined> {
    const event = await runInTransaction(this.ds, (tx) => this.auctions.closeIfDue(tx, auctionId));
    if (event) {
      this.relay.publish(event);
      this.metrics.auctionsClosed.inc();
      this.logger.info({ auctionId, seq: event.seq, winnerId: event.payload.winnerId ?? null }, 'auction closed');
    }
    return event;
  }

  /**
   * `bids_rejected_total{reason}`: every refused bid attempt, counted once where it is answered
   * (the REST bid route's error answers in main.ts, `bid:place`'s refusing acks in the gateway),
   * whatever refused it: a guard, validation, the limiter or the rules here.
   */
  countRejection(code: string): void {
    this.metrics.bidsRejected.inc({ reason: code });
  }
}
