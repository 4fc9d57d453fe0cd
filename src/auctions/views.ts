/** Row → response mapping for leagues and auctions (money as decimal strings, times as ISO). */
import { formatMinor } from '../transactions/money';
import type { AuctionRow } from './auctions.repository';
import type { LeagueRow, ParticipantRow } from './leagues.repository';
import type { AuctionResponse, BidResponse } from './dto/auction.dto';
import type { LeagueResponse, ParticipantResponse } from './dto/league.dto';
import type { AuctionEvent } from './event-sequencer';

const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toLeagueResponse(row: LeagueRow): LeagueResponse {
  return {
    id: row.id,
    name: row.name,
    sport: row.sport,
    inviteCode: row.invite_code,
    ownerId: row.owner_id,
    budget: formatMinor(row.budget),
    maxParticipants: row.max_participants,
    participantCount: Number(row.participant_count),
    createdAt: row.created_at.toISOString(),
  };
}

export function toParticipantResponse(row: ParticipantRow): ParticipantResponse {
  return { userId: row.user_id, remainingBudget: formatMinor(row.remaining_budget) };
}

export function toAuctionResponse(row: AuctionRow): AuctionResponse {
  return {
    id: row.id,
    leagueId: row.league_id,
    lot: row.lot,
    status: row.status,
    startingPrice: formatMinor(row.starting_price),
    minIncrement: formatMinor(row.min_increment),
    durationSeconds: row.duration_seconds,
    antiSnipeSeconds: row.anti_snipe_seconds,
    currentAmount: row.current_amount === null ? null : formatMinor(row.current_amount),
    leaderId: row.leader_id,
    winnerId: row.winner_id,
    seq: Number(row.seq),
    startedAt: isoOrNull(row.started_at),
    endsAt: isoOrNull(row.ends_at),
    closedAt: isoOrNull(row.closed_at),
    createdAt: row.created_at.toISOString(),
  };
}

/** The bid_update payload doubles as the REST/ack answer for the bidder. */
export function toBidResponse(event: AuctionEvent): BidResponse {
  const p = event.payload as Omit<BidResponse, 'auctionId' | 'seq'>;
  return {
    bidId: p.bidId,
    auctionId: event.auctionId,
    amount: p.amount,
    bidderId: p.bidderId,
    seq: event.seq,
    endsAt: p.endsAt,
    at: p.at,
  };
}
