/**
 * League use cases: create (the owner joins with the full budget), list the caller's leagues,
 * read one (members only: anyone else gets 404, so league ids reveal nothing), join by invite.
 */
import { Injectable } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { AuthUser } from '../auth/auth-user';
import { DomainError } from '../infra/http/domain-error';
import { DEFAULT_PAGE_LIMIT, decodeCursor, isTimestampText, isUuidText, toPage } from '../infra/http/pagination';
import { runInTransaction } from '../infra/database/transaction';
import { SecurityEventsService } from '../security/security-events.service';
import { amountToMinor, formatMinor } from '../transactions/money';
import { AuctionMetrics } from './auctions.metrics';
import { LeaguesRepository } from './leagues.repository';
import type {
  CreateLeagueDto,
  LeagueDetailResponse,
  LeaguePage,
  LeagueResponse,
  ParticipantResponse,
} from './dto/league.dto';
import { toLeagueResponse, toParticipantResponse } from './views';
import { NotMemberRefusals } from './not-member.refusals';

/** Unambiguous upper-case letters and digits (no 0/O, 1/I). */
const INVITE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export function newInviteCode(length = 10): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += INVITE_ALPHABET[b % INVITE_ALPHABET.length];
  return out;
}

function sameCode(a: string, b: string): boolean {
  const x = Buffer.from(a.toUpperCase());
  const y = Buffer.from(b.toUpperCase());
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The (joinedAt, leagueId) a league-list cursor continues after; 400 for any other cursor. */
function decodeLeagueCursor(cursor: string): { joinedAt: string; leagueId: string } {
  const [joinedAt, leagueId] = decodeCursor(cursor, ['string', 'string'], ([j, l]) => isTimestampText(String(j)) && isUuidText(String(l)));
  return { joinedAt: joinedAt as string, leagueId: leagueId as string };
}

@Injectable()
export class LeaguesService {
  constructor(
    private readonly ds: DataSource,
    private readonly leagues: LeaguesRepository,
    private readonly metrics: AuctionMetrics,
    private readonly securityEvents: SecurityEventsService,
    private readonly notMember: NotMemberRefusals,
  ) {}

  async createLeague(user: AuthUser, dto: CreateLeagueDto): Promise<LeagueResponse> {
    const budget = amountToMinor(dto.budget);
    const row = await runInTransaction(this.ds, async (tx) => {
      const league = await this.leagues.insertLeague(tx, {
        name: dto.name,
        sport: dto.sport,
        inviteCode: newInviteCode(),
        ownerId: user.id,
        budget,
        maxParticipants: dto.maxParticipants,
      });
      await this.leagues.addParticipant(tx, league.id, user.id, budget.toString());
      return { ...league, participant_count: '1' };
    });
    this.metrics.leaguesCreated.inc();
    this.metrics.participantsJoined.inc();
    return toLeagueResponse(row);
  }

  async listLeagues(user: AuthUser, limit = DEFAULT_PAGE_LIMIT, cursor?: string): Promise<LeaguePage> {
    const after = cursor ? decodeLeagueCursor(cursor) : undefined;
    const rows = await this.leagues.listForMember(this.ds, user.id, limit + 1, after);
    return toPage(
      rows,
      limit,
      (r) => [r.joined_at_text, r.id],
      (r) => ({ ...toLeagueResponse(r), remainingBudget: formatMinor(r.remaining_budget) }),
    );
  }

  async getLeague(user: AuthUser, leagueId: string): Promise<LeagueDetailResponse> {
    const row = await this.leagues.findForMember(this.ds, leagueId, user.id);
    if (!row) throw await this.notMember.league(user.id, leagueId);
    const participants = await this.leagues.listParticipants(this.ds, leagueId);
    return { ...toLeagueResponse(row), participants: participants.map(toParticipantResponse) };
  }

  /**
   * Joins with the invite code. A wrong code answers 404 like an unknown league (the id alone
   * must not confirm that a league exists) and counts as a security event against guessing.
   */
  async joinLeague(user: AuthUser, leagueId: string, inviteCode: string): Promise<ParticipantResponse> {
    const result = await runInTransaction(this.ds, async (tx) => {
      const league = await this.leagues.lockLeague(tx, leagueId);
      if (!league || !sameCode(league.invite_code, inviteCode)) return 'wrong-code' as const;
      if (await this.leagues.findParticipant(tx, leagueId, user.id)) {
        throw new DomainError('CONFLICT', 409, 'You already participate in this league');
      }
      if (Number(league.participant_count) >= league.max_participants) {
        throw new DomainError('LEAGUE_FULL', 409, 'The league has no free place');
      }
      return this.leagues.addParticipant(tx, leagueId, user.id, league.budget);
    });
    if (result === 'wrong-code') {
      void this.securityEvents.record(user.id, 'NOT_FOUND_PROBE').catch(() => undefined);
      throw new DomainError('NOT_FOUND', 404, 'No league with this id and invite code');
    }
    this.metrics.participantsJoined.inc();
    return toParticipantResponse(result);
  }
}
