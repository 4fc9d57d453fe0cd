import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsPositiveAmount } from './amount.validator';

export class CreateAuctionDto {
  @ApiProperty({ example: 'Striker #9', minLength: 1, maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  lot!: string;

  @ApiProperty({ example: '5.00', description: 'The first bid must be at least this' })
  @IsPositiveAmount()
  startingPrice!: string;

  @ApiProperty({ example: '0.50', description: 'Every later bid must beat the current amount by at least this' })
  @IsPositiveAmount()
  minIncrement!: string;

  @ApiProperty({ example: 60, minimum: 1, maximum: 604800 })
  @IsInt()
  @Min(1)
  @Max(604_800)
  durationSeconds!: number;

  @ApiProperty({
    example: 10,
    minimum: 0,
    maximum: 3600,
    description: 'A bid inside the last N seconds moves the end to now + N',
  })
  @IsInt()
  @Min(0)
  @Max(3_600)
  antiSnipeSeconds!: number;
}

export class PlaceBidDto {
  @ApiProperty({ example: '12.50' })
  @IsPositiveAmount()
  amount!: string;
}

export class AuctionResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) leagueId!: string;
  @ApiProperty() lot!: string;
  @ApiProperty({ enum: ['SCHEDULED', 'OPEN', 'CLOSED'] }) status!: 'SCHEDULED' | 'OPEN' | 'CLOSED';
  @ApiProperty({ example: '5.00' }) startingPrice!: string;
  @ApiProperty({ example: '0.50' }) minIncrement!: string;
  @ApiProperty() durationSeconds!: number;
  @ApiProperty() antiSnipeSeconds!: number;
  @ApiProperty({ type: String, nullable: true, example: '12.50' }) currentAmount!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) leaderId!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) winnerId!: string | null;
  @ApiProperty({ description: 'Sequence number of the last bid or close; 0 before any' }) seq!: number;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) startedAt!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'Server time; render countdowns from it',
  })
  endsAt!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) closedAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class BidResponse {
  @ApiProperty({ format: 'uuid' }) bidId!: string;
  @ApiProperty({ format: 'uuid' }) auctionId!: string;
  @ApiProperty({ example: '12.50' }) amount!: string;
  @ApiProperty({ format: 'uuid' }) bidderId!: string;
  @ApiProperty() seq!: number;
  @ApiProperty({ format: 'date-time', description: 'End of the auction after this bid (anti-snipe may have moved it)' })
  endsAt!: string;
  @ApiProperty({ format: 'date-time', description: 'When the bid was accepted (server clock)' }) at!: string;
}
