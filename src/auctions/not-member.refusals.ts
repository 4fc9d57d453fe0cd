/**
 * The 404 of a league or auction the caller does not participate in. It reads exactly like a
 * missing one (an id alone must not confirm that a league exists), but when the league or auction
 * does exist it is other users', and asking for it is a security event for abuse detection
 * (DESIGN.md §7: "a 404 on another user's resource"), as for someone else's account. One more
 * query, on the refusal path only; if it fails, the answer is still the 404, unreported.
 */
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError } from '../infra/http/domain-error';
import { SecurityEventsService } from '../security/security-events.service';
import { AuctionsRepository } from './auctions.repository';
import { LeaguesRepository } from './leagues.repository';

@Injectable()
export class NotMemberRefusals {
  constructor(
    private readonly ds: DataSource,
    private readonly leagues: LeaguesRepository,
    private readonly auctions: AuctionsRepository,
    private readonly securityEvents: SecurityEventsService,
  ) {}

  async league(userId: string, leagueId: string): Promise<DomainError> {
    await this.reportIf(userId, () => this.leagues.exists(this.ds, leagueId));
    return new DomainError('NOT_FOUND', 404, 'No such league');
  }

  async auction(userId: string, auctionId: string): Promise<DomainError> {
    await this.reportIf(userId, async () => (await this.auctions.findAuction(this.ds, auctionId)) !== undefined);
    return new DomainError('NOT_FOUND', 404, 'No such auction');
  }

  private async reportIf(userId: string, exists: () => Promise<boolean>): Promise<void> {
    if (await exists().catch(() => false)) {
      void this.securityEvents.record(userId, 'NOT_FOUND_PROBE').catch(() => undefined);
    }
  }
}
