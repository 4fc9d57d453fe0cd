import { isIP } from 'node:net';
import { ApiProperty } from '@nestjs/swagger';
import { IsUUID, ValidateBy } from 'class-validator';
import { IP, PatternField, TIMESTAMP, UPPER_SNAKE, UUID } from '../../../infra/http/openapi/fields';

/** Blocks and flags expire (IP_BLOCK_DURATION_S, abuse window), so the lists stay short; the cap is a documented bound. */
const MAX_LISTED = 10_000;

export class BlockedIpDto {
  @ApiProperty({ ...IP, description: 'IPv4 address, or an IPv6 /64 such as 2001:db8:1:2::/64' })
  ip: string;

  @ApiProperty(TIMESTAMP)
  expiresAt: string;
}

export class FlaggedUserDto {
  @ApiProperty(UUID)
  userId: string;

  @ApiProperty(TIMESTAMP)
  flaggedAt: string;

  @ApiProperty({ ...UPPER_SNAKE, example: 'RATE_LIMITED', description: 'The security event that reached the threshold' })
  lastEvent: string;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 1, maximum: 2_147_483_647, example: 50, description: 'Events counted in the window when the user was flagged' })
  events: number;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 1, maximum: 2_147_483_647, example: 300 })
  windowSeconds: number;
}

export class SecurityOverviewDto {
  @ApiProperty({ type: [BlockedIpDto], maxItems: MAX_LISTED })
  blockedIps: BlockedIpDto[];

  @ApiProperty({ type: [FlaggedUserDto], maxItems: MAX_LISTED })
  flaggedUsers: FlaggedUserDto[];
}

const BLOCKED_IP_MESSAGE = 'ip must be an IPv4 or IPv6 address as listed in blockedIps';

/** What blockedIps lists (an IPv4 address, an IPv6 /64) or a plain IPv6 address; the pattern alone let 999.1.1.1 through. */
const IsBlockableIp = () =>
  ValidateBy({
    name: 'isBlockableIp',
    validator: {
      validate: (v: unknown) => typeof v === 'string' && (isIP(v) !== 0 || (v.endsWith('/64') && isIP(v.slice(0, -3)) === 6)),
      defaultMessage: () => BLOCKED_IP_MESSAGE,
    },
  });

export class BlockedIpParamDto {
  @PatternField(IP, BLOCKED_IP_MESSAGE, {
    description: 'As listed in blockedIps (URL-encode the "/" of an IPv6 /64)',
  })
  @IsBlockableIp()
  ip: string;
}

export class FlaggedUserParamDto {
  @ApiProperty(UUID)
  @IsUUID()
  userId: string;
}
