import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { AMOUNT, MONEY, text, TextField, TIMESTAMP, UUID } from '../../infra/http/openapi/fields';
import { IsMoneyAmount } from '../../transactions/dto/money-amount.validator';

/** Per-auction event sequence (bids and the close). */
export const SEQ = { type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

export class CreateAuctionDto {
  @TextField(200, { example: 'Striker #9' })
  lot!: string;

  @ApiProperty({ ...AMOUNT, example: '5.00', description: 'The first bid must be at least this' })
  @IsMoneyAmount()
  startingPrice!: string;

  @ApiProperty({ ...AMOUNT, example: '0.50', description: 'Every later bid must beat the current amount by at least this' })
  @IsMoneyAmount()
  minIncrement!: string;

  @ApiProperty({ type: 'integer', format: 'int32', example: 60, minimum: 1, maximum: 604800 })
  @IsInt()
  @Min(1)
  @Max(604_800)
  durationSeconds!: number;

  @ApiProperty({
    type: 'integer',
    format: 'int32',
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
  @ApiProperty(AMOUNT)
  @IsMoneyAmount()
  amount!: string;
}

export class AuctionResponse {
  @ApiProperty(UUID) id!: string;
  @ApiProperty(UUID) leagueId!: string;
  @ApiProperty(text(200)) lot!: string;
  @ApiProperty({ enum: ['SCHEDULED', 'OPEN', 'CLOSED'] }) status!: 'SCHEDULED' | 'OPEN' | 'CLOSED';
  @ApiProperty({ ...MONEY, example: '5.00' }) startingPrice!: string;
  @ApiProperty({ ...MONEY, example: '0.50' }) minIncrement!: string;
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 1, maximum: 604_800 }) durationSeconds!: number;
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, maximum: 3_600 }) antiSnipeSeconds!: number;
  @ApiProperty({ ...MONEY, nullable: true }) currentAmount!: string | null;
  @ApiProperty({ ...UUID, nullable: true }) leaderId!: string | null;
  @ApiProperty({ ...UUID, nullable: true }) winnerId!: string | null;
  @ApiProperty({ ...SEQ, description: 'Sequence number of the last bid or close; 0 before any' }) seq!: number;
  @ApiProperty({ ...TIMESTAMP, nullable: true }) startedAt!: string | null;
  @ApiProperty({ ...TIMESTAMP, nullable: true, description: 'Server time; render countdowns from it' })
  endsAt!: string | null;
  @ApiProperty({ ...TIMESTAMP, nullable: true }) closedAt!: string | null;
  @ApiProperty(TIMESTAMP) createdAt!: string;
}

export class BidResponse {
  @ApiProperty(UUID) bidId!: string;
  @ApiProperty(UUID) auctionId!: string;
  @ApiProperty(MONEY) amount!: string;
  @ApiProperty(UUID) bidderId!: string;
  @ApiProperty(SEQ) seq!: number;
  @ApiProperty({ ...TIMESTAMP, description: 'End of the auction after this bid (anti-snipe may have moved it)' })
  endsAt!: string;
  @ApiProperty({ ...TIMESTAMP, description: 'When the bid was accepted (server clock)' }) at!: string;
}
