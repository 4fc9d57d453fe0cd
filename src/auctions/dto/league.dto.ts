import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { AMOUNT, CURSOR, MONEY, PatternField, text, TextField, TIMESTAMP, UUID } from '../../infra/http/openapi/fields';
import { MAX_PAGE_LIMIT } from '../../infra/http/pagination';

const INVITE_CODE = { type: String, pattern: '^[A-Za-z0-9]{4,32}$', maxLength: 32, example: 'K7Q2M9XA4T' } as const;
const COUNT = { type: 'integer', format: 'int32', minimum: 0, maximum: 500 } as const;
import { PageQueryDto } from '../../infra/http/page-query.dto';
import { IsMoneyAmount } from '../../transactions/dto/money-amount.validator';

export class CreateLeagueDto {
  @TextField(100, { example: 'Sunday league' })
  name!: string;

  @TextField(50, { example: 'football' })
  sport!: string;

  @ApiProperty({ ...AMOUNT, example: '100.00', description: 'Budget of every participant: decimal string, two decimals at most' })
  @IsMoneyAmount()
  budget!: string;

  @ApiProperty({ ...COUNT, example: 10, minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(500)
  maxParticipants!: number;
}

export class JoinLeagueDto {
  @PatternField(INVITE_CODE, 'inviteCode must be 4-32 letters or digits', { description: 'Invite code shown to league members' })
  inviteCode!: string;
}

export class ListLeaguesQuery extends PageQueryDto {}

export class ParticipantResponse {
  @ApiProperty(UUID) userId!: string;
  @ApiProperty({ ...MONEY, example: '100.00' }) remainingBudget!: string;
}

export class LeagueResponse {
  @ApiProperty(UUID) id!: string;
  @ApiProperty(text(100)) name!: string;
  @ApiProperty(text(50)) sport!: string;
  @ApiProperty({ ...INVITE_CODE, description: 'Share it: POST /leagues/:id/join needs it' }) inviteCode!: string;
  @ApiProperty(UUID) ownerId!: string;
  @ApiProperty({ ...MONEY, example: '100.00' }) budget!: string;
  @ApiProperty({ ...COUNT, minimum: 1 }) maxParticipants!: number;
  @ApiProperty(COUNT) participantCount!: number;
  @ApiProperty(TIMESTAMP) createdAt!: string;
}

export class LeagueSummaryResponse extends LeagueResponse {
  @ApiProperty({ ...MONEY, example: '100.00', description: "The caller's remaining budget in this league" })
  remainingBudget!: string;
}

export class LeagueDetailResponse extends LeagueResponse {
  @ApiProperty({ type: [ParticipantResponse], maxItems: 500 }) participants!: ParticipantResponse[];
}

export class LeaguePage {
  @ApiProperty({ type: [LeagueSummaryResponse], maxItems: MAX_PAGE_LIMIT }) items!: LeagueSummaryResponse[];
  @ApiProperty({ ...CURSOR, nullable: true }) nextCursor!: string | null;
}
