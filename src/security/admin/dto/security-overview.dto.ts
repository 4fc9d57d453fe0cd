import { ApiProperty } from '@nestjs/swagger';
import { IsUUID, Matches, MaxLength } from 'class-validator';

export class BlockedIpDto {
  @ApiProperty({ example: '203.0.113.7', description: 'IPv4 address, or an IPv6 /64 such as 2001:db8:1:2::/64' })
  ip: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;
}

export class FlaggedUserDto {
  @ApiProperty({ format: 'uuid' })
  userId: string;

  @ApiProperty({ format: 'date-time' })
  flaggedAt: string;

  @ApiProperty({ example: 'RATE_LIMITED', description: 'The security event that reached the threshold' })
  lastEvent: string;

  @ApiProperty({ example: 50, description: 'Events counted in the window when the user was flagged' })
  events: number;

  @ApiProperty({ example: 300 })
  windowSeconds: number;
}

export class SecurityOverviewDto {
  @ApiProperty({ type: [BlockedIpDto] })
  blockedIps: BlockedIpDto[];

  @ApiProperty({ type: [FlaggedUserDto] })
  flaggedUsers: FlaggedUserDto[];
}

export class BlockedIpParamDto {
  @ApiProperty({ example: '203.0.113.7', description: 'As listed in blockedIps (URL-encode the "/" of an IPv6 /64)' })
  @MaxLength(64)
  @Matches(/^[0-9A-Fa-f:.]+(\/\d{1,3})?$/, { message: 'ip must be an IPv4 or IPv6 address as listed in blockedIps' })
  ip: string;
}

export class FlaggedUserParamDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  userId: string;
}
