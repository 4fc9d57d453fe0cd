import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Verified } from '../auth/decorators/verified.decorator';
import { DomainError } from '../infra/http/domain-error';
import { RateLimit } from '../security/throttling/rate-limit.decorator';
import { AuctionsService } from './auctions.service';
import { AuctionResponse, CreateAuctionDto } from './dto/auction.dto';
import {
  CreateLeagueDto,
  JoinLeagueDto,
  LeagueDetailResponse,
  LeaguePage,
  LeagueResponse,
  ListLeaguesQuery,
  ParticipantResponse,
} from './dto/league.dto';
import { LeaguesService } from './leagues.service';
import { ApiUuidParam } from '../infra/http/openapi/fields';
import { VALIDATE } from '../infra/http/validation-pipe';

/** A path id that is not a UUID is a 400 VALIDATION_FAILED, like any other bad input. */
export const uuidParam = () =>
  new ParseUUIDPipe({
    exceptionFactory: () =>
      new DomainError('VALIDATION_FAILED', 400, 'The request is not valid', [
        { field: 'id', message: 'id must be a UUID' },
      ]),
  });

@ApiTags('auctions')
@ApiBearerAuth()
@Verified()
@Controller('api/v1/leagues')
export class LeaguesController {
  constructor(
    private readonly leagues: LeaguesService,
    private readonly auctions: AuctionsService,
  ) {}

  @Post()
  @RateLimit('leagues')
  @ApiOperation({ summary: 'Create a league; the caller owns it and joins it with the full budget' })
  @ApiCreatedResponse({ type: LeagueResponse })
  create(@CurrentUser() user: AuthUser, @Body(VALIDATE) dto: CreateLeagueDto): Promise<LeagueResponse> {
    return this.leagues.createLeague(user, dto);
  }

  @Get()
  @ApiOperation({ summary: 'Leagues the caller participates in, most recently joined first' })
  @ApiOkResponse({ type: LeaguePage })
  list(@CurrentUser() user: AuthUser, @Query(VALIDATE) query: ListLeaguesQuery): Promise<LeaguePage> {
    return this.leagues.listLeagues(user, query.limit, query.cursor);
  }

  @Get(':id')
  @ApiUuidParam()
  @ApiOperation({ summary: 'One league with its participants (members only; others get 404)' })
  @ApiOkResponse({ type: LeagueDetailResponse })
  get(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string): Promise<LeagueDetailResponse> {
    return this.leagues.getLeague(user, id);
  }

  @Post(':id/join')
  @ApiUuidParam()
  @ApiOperation({
    summary: 'Join with the invite code. Wrong code: 404; full: 409 LEAGUE_FULL; already in: 409 CONFLICT',
  })
  @ApiCreatedResponse({ type: ParticipantResponse })
  @ApiResponse({ status: 404, description: 'NOT_FOUND: no league with this id and invite code' })
  @ApiResponse({ status: 409, description: 'CONFLICT (already a participant) or LEAGUE_FULL' })
  join(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam()) id: string,
    @Body(VALIDATE) dto: JoinLeagueDto,
  ): Promise<ParticipantResponse> {
    return this.leagues.joinLeague(user, id, dto.inviteCode);
  }

  @Post(':id/auctions')
  @ApiUuidParam()
  @ApiOperation({ summary: 'Create a SCHEDULED auction (league owner only)' })
  @ApiCreatedResponse({ type: AuctionResponse })
  @ApiResponse({ status: 403, description: 'FORBIDDEN: only the league owner creates auctions' })
  createAuction(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam()) id: string,
    @Body(VALIDATE) dto: CreateAuctionDto,
  ): Promise<AuctionResponse> {
    return this.auctions.createAuction(user, id, dto);
  }
}
