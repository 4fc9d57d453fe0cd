import { Module } from '@nestjs/common';
import { AuctionEventsRelay } from './auction-events.relay';
import { AuctionTimersService } from './auction-timers.service';
import { AuctionsController } from './auctions.controller';
import { AuctionsGateway } from './auctions.gateway';
import { AuctionMetrics } from './auctions.metrics';
import { AuctionsRepository } from './auctions.repository';
import { AuctionsService } from './auctions.service';
import { BiddingService } from './bidding.service';
import { LeaguesController } from './leagues.controller';
import { LeaguesRepository } from './leagues.repository';
import { LeaguesService } from './leagues.service';
import { NotMemberRefusals } from './not-member.refusals';

/** Leagues, auctions, bids, countdowns and the Socket.IO gateway (DESIGN.md §4 and §5). */
@Module({
  controllers: [LeaguesController, AuctionsController],
  providers: [
    AuctionMetrics,
    LeaguesRepository,
    AuctionsRepository,
    LeaguesService,
    AuctionsService,
    AuctionEventsRelay,
    BiddingService,
    AuctionTimersService,
    AuctionsGateway,
    NotMemberRefusals,
  ],
  exports: [AuctionTimersService],
})
export class AuctionsModule {}
