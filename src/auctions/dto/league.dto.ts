import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { PageQueryDto } from '../../infra/http/page-query.dto';
import { IsPositiveAmount } from './amount.validator';

export class CreateLeagueDto {
  @ApiProperty({ example: 'Sunday league', minLength: 1, maxLength: 100 })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @ApiProperty({ example: 'football', minLength: 1, maxLength: 50 })
  @IsString()
  @MinLength(1)
  @MaxLength(50)
  sport!: string;

  @ApiProperty({ example: '100.00', description: 'Budget of every participant: decimal string, two decimals at most' })
  @IsPositiveAmount()
  budget!: string;

  @ApiProperty({ example: 10, minimum: 1, maximum: 500 })
  @IsInt()
  @Min(1)
  @Max(500)
  maxParticipants!: number;
}

export class JoinLeagueDto {
  @ApiProperty({ example: 'K7Q2M9XA4T', description: 'Invite code shown to league members' })
  @IsString()
  @Matches(/^[A-Za-z0-9]{4,32}$/, { message: 'inviteCode must be 4-32 letters or digits' })
  inviteCode!: string;
}

export class ListLeaguesQuery extends PageQueryDto {}

export class ParticipantResponse {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ example: '100.00' }) remainingBudget!: string;
}

export class LeagueResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() sport!: string;
  @ApiProperty({ description: 'Share it: POST /leagues/:id/join needs it' }) inviteCode!: string;
  @ApiProperty({ format: 'uuid' }) ownerId!: string;
  @ApiProperty({ example: '100.00' }) budget!: string;
  @ApiProperty() maxParticipants!: number;
  @ApiProperty() participantCount!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class LeagueSummaryResponse extends LeagueResponse {
  @ApiProperty({ example: '100.00', description: "The caller's remaining budget in this league" })
  remainingBudget!: string;
}

export class LeagueDetailResponse extends LeagueResponse {
  @ApiProperty({ type: [ParticipantResponse] }) participants!: ParticipantResponse[];
}

export class LeaguePage {
  @ApiProperty({ type: [LeagueSummaryResponse] }) items!: LeagueSummaryResponse[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
