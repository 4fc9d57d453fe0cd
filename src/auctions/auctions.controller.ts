import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Verified } from '../auth/decorators/verified.decorator';
import { RateLimit } from '../security/throttling/rate-limit.decorator';
import { AuctionsService } from './auctions.service';
import { BiddingService } from './bidding.service';
import { AuctionResponse, BidResponse, PlaceBidDto } from './dto/auction.dto';
import { uuidParam } from './leagues.controller';
import { ApiUuidParam } from '../infra/http/openapi/fields';
import { NoBody } from '../infra/http/no-body';
import { VALIDATE } from '../infra/http/validation-pipe';

/**
 * The bid route as Fastify names it: main.ts counts its error answers in bids_rejected_total, as
 * the gateway counts bid:place's refusals (a guard's or the pipe's included, which never reach
 * BiddingService).
 */
export const BID_ROUTE = { method: 'POST', template: '/api/v1/auctions/:id/bids' } as const;

@ApiTags('auctions')
@ApiBearerAuth()
@Verified()
@Controller('api/v1/auctions')
export class AuctionsController {
  constructor(
    private readonly auctions: AuctionsService,
    private readonly bidding: BiddingService,
  ) {}

  @Post(':id/start')
  @ApiUuidParam()
  @HttpCode(200)
  @ApiOperation({ summary: 'Open the auction now (league owner only); endsAt = server time + duration' })
  @ApiOkResponse({ type: AuctionResponse })
  @ApiResponse({ status: 403, description: 'FORBIDDEN: only the league owner starts auctions' })
  @ApiResponse({ status: 409, description: 'CONFLICT: the auction is already OPEN or CLOSED' })
  start(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam()) id: string,
    @NoBody() _body: undefined,
  ): Promise<AuctionResponse> {
    return this.auctions.startAuction(user, id);
  }

  @Get(':id')
  @ApiUuidParam()
  @ApiOperation({ summary: 'Auction state (members of its league only; others get 404)' })
  @ApiOkResponse({ type: AuctionResponse })
  get(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string): Promise<AuctionResponse> {
    return this.auctions.getAuction(user, id);
  }

  @Post(':id/bids')
  @ApiUuidParam()
  @RateLimit('bids')
  @ApiOperation({
    summary: 'Bid. 422 BID_TOO_LOW / BUDGET_EXCEEDED, 409 AUCTION_NOT_OPEN, 403 NOT_A_PARTICIPANT',
  })
  @ApiCreatedResponse({ type: BidResponse })
  @ApiResponse({ status: 403, description: 'NOT_A_PARTICIPANT' })
  @ApiResponse({ status: 409, description: 'AUCTION_NOT_OPEN' })
  @ApiResponse({
    status: 422,
    description:
      'BID_TOO_LOW, or BUDGET_EXCEEDED: over your remaining budget less what you already lead with in ' +
      "the league's other open auctions (so every auction you can still win is payable when it closes)",
  })
  placeBid(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam()) id: string,
    @Body(VALIDATE) dto: PlaceBidDto,
  ): Promise<BidResponse> {
    return this.bidding.placeBid(user, id, dto.amount);
  }
}
