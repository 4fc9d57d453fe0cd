/**
 * All SQL for auctions, bids and the auction event log. The hot paths (placing a bid, closing)
 * are a few round trips each: lock the auction row, lock the bidder, then one statement that
 * updates the auction, stores the bid and appends the event, building the broadcast payload
 * inside PostgreSQL so the stored event and the broadcast one are the same JSON.
 */
import { Injectable } from '@nestjs/common';
import { queryRows, type Db } from './db';
import type { AuctionEvent, AuctionEventType } from './event-sequencer';

export type AuctionStatus = 'SCHEDULED' | 'OPEN' | 'CLOSED';

export interface AuctionRow {
  id: string;
  league_id: string;
  lot: string;
  status: AuctionStatus;
  starting_price: string;
  min_increment: string;
  duration_seconds: number;
  anti_snipe_seconds: number;
  current_amount: string | null;
  leader_id: string | null;
  winner_id: string | null;
  seq: string;
  started_at: Date | null;
  ends_at: Date | null;
  closed_at: Date | null;
  created_at: Date;
}

export interface BidderRow {
  remaining_budget: string;
  /** What the bidder already leads with in the league's other open auctions. */
  exposure: string;
  /** Whether db clock_timestamp() is still before ends_at (null when the auction never started). */
  before_end: boolean | null;
}

/** The payload shapes below are the wire format of bid_update and auction_closed. */
const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
const iso = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', ${ISO})`;
const money = (col: string) =>
  `CASE WHEN ${col} IS NULL THEN NULL ELSE (${col} / 100)::text || '.' || lpad((${col} % 100)::text, 2, '0') END`;

const AUCTION_COLUMNS = `a.id, a.league_id, a.lot, a.status, a.starting_price, a.min_increment, a.duration_seconds,
  a.anti_snipe_seconds, a.current_amount, a.leader_id, a.winner_id, a.seq, a.started_at, a.ends_at, a.closed_at, a.created_at`;

@Injectable()
export class AuctionsRepository {
  async insertAuction(
    tx: Db,
    a: {
      leagueId: string;
      lot: string;
      startingPrice: bigint;
      minIncrement: bigint;
      durationSeconds: number;
      antiSnipeSeconds: number;
    },
  ): Promise<AuctionRow> {
    const [row] = await queryRows(
      tx,
      `INSERT INTO auctions AS a (league_id, lot, starting_price, min_increment, duration_seconds, anti_snipe_seconds)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${AUCTION_COLUMNS}`,
      [a.leagueId, a.lot, a.startingPrice.toString(), a.minIncrement.toString(), a.durationSeconds, a.antiSnipeSeconds],
    );
    return row as AuctionRow;
  }

  async findAuction(db: Db, auctionId: string): Promise<AuctionRow | undefined> {
    const rows = (await queryRows(db, `SELECT ${AUCTION_COLUMNS} FROM auctions a WHERE a.id = $1`, [
      auctionId,
    ])) as AuctionRow[];
    return rows[0];
  }

  /** The auction, only when `userId` participates in its league. */
  async findForMember(db: Db, auctionId: string, userId: string): Promise<AuctionRow | undefined> {
    const rows = (await queryRows(
      db,
      `SELECT ${AUCTION_COLUMNS} FROM auctions a
       JOIN league_participants m ON m.league_id = a.league_id AND m.user_id = $2
       WHERE a.id = $1`,
      [auctionId, userId],
    )) as AuctionRow[];
    return rows[0];
  }

  /** SCHEDULED → OPEN with ends_at = db now() + duration; undefined when it was not SCHEDULED. */
  async startAuction(tx: Db, auctionId: string): Promise<AuctionRow | undefined> {
    const rows = (await queryRows(
      tx,
      `UPDATE auctions a SET status = 'OPEN', started_at = now(), ends_at = now() + make_interval(secs => a.duration_seconds)
       WHERE a.id = $1 AND a.status = 'SCHEDULED' RETURNING ${AUCTION_COLUMNS}`,
      [auctionId],
    )) as AuctionRow[];
    return rows[0];
  }

  /** Takes the auction's row lock: bids and the close of one auction run one at a time. */
  async lockAuction(tx: Db, auctionId: string): Promise<AuctionRow | undefined> {
    const rows = (await queryRows(
      tx,
      `SELECT ${AUCTION_COLUMNS} FROM auctions a WHERE a.id = $1 FOR NO KEY UPDATE OF a`,
      [auctionId],
    )) as AuctionRow[];
    return rows[0];
  }

  /**
   * Locks the bidder's participation (so one user's bids across auctions of a league are counted
   * one at a time), then reads budget, exposure and the clock in a SECOND statement: a statement
   * that waits for a row lock keeps the snapshot it started with, so values read in the locking
   * statement could miss what the previous lock holder just committed.
   */
  async lockBidder(tx: Db, auction: AuctionRow, userId: string): Promise<BidderRow | undefined> {
    const locked = await queryRows(
      tx,
      `SELECT 1 FROM league_participants WHERE league_id = $1 AND user_id = $2 FOR NO KEY UPDATE`,
      [auction.league_id, userId],
    );
    if (locked.length === 0) return undefined;
    const [row] = await queryRows<BidderRow>(
      tx,
      `SELECT p.remaining_budget,
              (SELECT COALESCE(sum(o.current_amount), 0) FROM auctions o
                WHERE o.league_id = p.league_id AND o.status = 'OPEN' AND o.leader_id = p.user_id AND o.id <> $3) AS exposure,
              (SELECT ends_at > clock_timestamp() FROM auctions WHERE id = $3) AS before_end
       FROM league_participants p WHERE p.league_id = $1 AND p.user_id = $2`,
      [auction.league_id, userId, auction.id],
    );
    return row;
  }

  /**
   * Applies an accepted bid: leader, amount, next seq and the anti-snipe extension
   * (ends_at = GREATEST(ends_at, now + antiSnipe), with now read here, under the lock), stores
   * the bid and appends its event. Returns the event as broadcast.
   */
  async recordBid(
    tx: Db,
    bid: { auctionId: string; bidId: string; bidderId: string; amount: bigint; amountText: string },
  ): Promise<AuctionEvent> {
    const [row] = (await queryRows(
      tx,
      `WITH c AS (SELECT clock_timestamp() AS now),
       upd AS (
         UPDATE auctions a SET current_amount = $4, leader_id = $3, seq = a.seq + 1,
                ends_at = GREATEST(a.ends_at, c.now + make_interval(secs => a.anti_snipe_seconds))
         FROM c WHERE a.id = $1
         RETURNING a.id, a.seq, a.ends_at, c.now AS at),
       bid AS (
         INSERT INTO bids (id, auction_id, bidder_id, amount, seq, created_at)
         SELECT $2, id, $3, $4, seq, at FROM upd)
       INSERT INTO auction_events (auction_id, seq, type, payload)
       SELECT id, seq, 'bid', jsonb_build_object(
         'auctionId', id, 'seq', seq, 'bidId', $2::text, 'amount', $5::text, 'bidderId', $3::text,
         'endsAt', ${iso('ends_at')}, 'at', ${iso('at')})
       FROM upd RETURNING seq, payload`,
      [bid.auctionId, bid.bidId, bid.bidderId, bid.amount.toString(), bid.amountText],
    )) as Array<{ seq: string; payload: Record<string, unknown> }>;
    return { auctionId: bid.auctionId, seq: Number(row.seq), type: 'bid', payload: row.payload };
  }

  /**
   * The one way an auction closes: a conditional UPDATE that only an OPEN auction past its end
   * (by the database clock) satisfies, with the winner's budget charged and the closed event
   * appended in the same statement. Undefined when there was nothing to close, so any number
   * of replicas may try and exactly one succeeds.
   */
  async closeIfDue(tx: Db, auctionId: string): Promise<AuctionEvent | undefined> {
    const rows = (await queryRows(
      tx,
      `WITH closed AS (
         UPDATE auctions SET status = 'CLOSED', winner_id = leader_id, closed_at = now(), seq = seq + 1
         WHERE id = $1 AND status = 'OPEN' AND ends_at <= now()
         RETURNING id, league_id, seq, leader_id, current_amount),
       charged AS (
         UPDATE league_participants p SET remaining_budget = p.remaining_budget - c.current_amount
         FROM closed c WHERE p.league_id = c.league_id AND p.user_id = c.leader_id)
       INSERT INTO auction_events (auction_id, seq, type, payload)
       SELECT id, seq, 'closed', jsonb_build_object(
         'auctionId', id, 'seq', seq, 'winnerId', leader_id, 'amount', ${money('current_amount')})
       FROM closed RETURNING seq, payload`,
      [auctionId],
    )) as Array<{ seq: string; payload: Record<string, unknown> }>;
    if (rows.length === 0) return undefined;
    return { auctionId, seq: Number(rows[0].seq), type: 'closed', payload: rows[0].payload };
  }

  /** Stored events with afterSeq < seq <= upToSeq, in order. */
  async eventsBetween(
    db: Db,
    auctionId: string,
    afterSeq: number,
    upToSeq: number,
    limit = 5_000,
  ): Promise<AuctionEvent[]> {
    const rows = (await queryRows(
      db,
      `SELECT seq, type, payload FROM auction_events WHERE auction_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4`,
      [auctionId, afterSeq, upToSeq, limit],
    )) as Array<{ seq: string; type: AuctionEventType; payload: Record<string, unknown> }>;
    return rows.map((r) => ({ auctionId, seq: Number(r.seq), type: r.type, payload: r.payload }));
  }

  /** Current seq of each auction (catch-up check of the replicas' delivery). */
  async currentSeqs(db: Db, auctionIds: string[]): Promise<Map<string, number>> {
    const rows = (await queryRows(db, `SELECT id, seq FROM auctions WHERE id = ANY($1::uuid[])`, [
      auctionIds,
    ])) as Array<{
      id: string;
      seq: string;
    }>;
    return new Map(rows.map((r) => [r.id, Number(r.seq)]));
  }

  /** The timer scan: open auctions by end time, read through the partial index, with the db clock. */
  async openAuctions(db: Db, limit = 1_000): Promise<{ rows: Array<{ id: string; ends_at: Date }>; dbNow: Date }> {
    const rows = (await queryRows(
      db,
      `SELECT id, ends_at, clock_timestamp() AS db_now FROM auctions WHERE status = 'OPEN' ORDER BY ends_at LIMIT $1`,
      [limit],
    )) as Array<{ id: string; ends_at: Date; db_now: Date }>;
    if (rows.length > 0) return { rows, dbNow: rows[0].db_now };
    const [clock] = (await queryRows(db, `SELECT clock_timestamp() AS db_now`)) as Array<{ db_now: Date }>;
    return { rows: [], dbNow: clock.db_now };
  }

  /** Status and end of one auction with the db clock, after a close attempt found nothing due. */
  async timing(
    db: Db,
    auctionId: string,
  ): Promise<{ status: AuctionStatus; ends_at: Date | null; db_now: Date } | undefined> {
    const rows = (await queryRows(
      db,
      `SELECT status, ends_at, clock_timestamp() AS db_now FROM auctions WHERE id = $1`,
      [auctionId],
    )) as Array<{ status: AuctionStatus; ends_at: Date | null; db_now: Date }>;
    return rows[0];
  }
}
