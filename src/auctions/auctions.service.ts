/**
 * Auction set-up and reads: the league owner creates and starts auctions; members read them.
 * Anyone outside the league gets 404 (ids reveal nothing); a member who is not the owner, 403.
 */
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuthUser } from '../auth/auth-user';
import { DomainError } from '../infra/http/domain-error';
import { runInTransaction } from '../infra/database/transaction';
import { amountToMinor } from '../transactions/money';
import { AuctionsRepository } from './auctions.repository';
import { LeaguesRepository } from './leagues.repository';
import { NotMemberRefusals } from './not-member.refusals';
import type { AuctionResponse, CreateAuctionDto } from './dto/auction.dto';
import { toAuctionResponse } from './views';

@Injectable()
export class AuctionsService {
  constructor(
    private readonly ds: DataSource,
    private readonly auctions: AuctionsRepository,
    private readonly leagues: LeaguesRepository,
    private readonly notMember: NotMemberRefusals,
  ) {}

  async createAuction(user: AuthUser, leagueId: string, dto: CreateAuctionDto): Promise<AuctionResponse> {
    const league = await this.leagues.findForMember(this.ds, leagueId, user.id);
    if (!league) throw await this.notMember.league(user.id, leagueId);
    if (league.owner_id !== user.id) throw new DomainError('FORBIDDEN', 403, 'Only the league owner creates auctions');
    const row = await this.auctions.insertAuction(this.ds, {
      leagueId,
      lot: dto.lot,
      startingPrice: amountToMinor(dto.startingPrice),
      minIncrement: amountToMinor(dto.minIncrement),
      durationSeconds: dto.durationSeconds,
      antiSnipeSeconds: dto.antiSnipeSeconds,
    });
    return toAuctionResponse(row);
  }

  /** SCHEDULED → OPEN; endsAt is the database clock plus the duration. */
  async startAuction(user: AuthUser, auctionId: string): Promise<AuctionResponse> {
    const row = await runInTransaction(this.ds, async (tx) => {
      const auction = await this.auctions.lockAuction(tx, auctionId);
      const league = auction ? await this.leagues.findForMember(tx, auction.league_id, user.id) : undefined;
      if (!auction || !league) return undefined; // answered after the transaction, without its lock
      if (league.owner_id !== user.id) throw new DomainError('FORBIDDEN', 403, 'Only the league owner starts auctions');
      const started = await this.auctions.startAuction(tx, auctionId);
      if (!started) throw new DomainError('CONFLICT', 409, `The auction is already ${auction.status}`);
      return started;
    });
    if (!row) throw await this.notMember.auction(user.id, auctionId);
    return toAuctionResponse(row);
  }

  async getAuction(user: AuthUser, auctionId: string): Promise<AuctionResponse> {
    const row = await this.auctions.findForMember(this.ds, auctionId, user.id);
    if (!row) throw await this.notMember.auction(user.id, auctionId);
    return toAuctionResponse(row);
  }
}
