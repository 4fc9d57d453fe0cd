/**
 * Payloads of client → server Socket.IO events, validated by the gateway itself (the HTTP
 * ValidationPipe and problem filter do not answer socket acks).
 */
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { IsMoneyAmount } from '../../transactions/dto/money-amount.validator';

export class JoinAuctionMessage {
  @IsUUID()
  auctionId!: string;

  /**
   * Highest seq the client already has; every stored event after it is re-sent before the ack.
   * At most Number.MAX_SAFE_INTEGER, as the AsyncAPI document states (1e300 is an "integer" too).
   */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  lastSeq?: number;
}

export class LeaveAuctionMessage {
  @IsUUID()
  auctionId!: string;
}

export class PlaceBidMessage {
  @IsUUID()
  auctionId!: string;

  @IsMoneyAmount()
  amount!: string;
}
