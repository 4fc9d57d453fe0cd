import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsString, MaxLength, ValidateIf } from 'class-validator';
import { PRIVILEGE_LEVELS, ROLES, type PrivilegeLevel, type Role } from '../../auth/auth-user';

export class UserProfileDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'ada@example.com' })
  email: string;

  @ApiProperty({ nullable: true, type: String, example: 'Ada' })
  displayName: string | null;

  @ApiProperty({ enum: ROLES, isArray: true, example: ['CUSTOMER'] })
  roles: Role[];

  @ApiProperty({ enum: PRIVILEGE_LEVELS, example: 'BASIC' })
  privilegeLevel: PrivilegeLevel;

  @ApiProperty()
  emailVerified: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class UserPageDto {
  @ApiProperty({ type: [UserProfileDto] })
  items: UserProfileDto[];

  @ApiProperty({ nullable: true, type: String, description: 'Pass as ?cursor= for the next page; null on the last page' })
  nextCursor: string | null;
}

export class UpdateProfileDto {
  @ApiProperty({ nullable: true, type: String, maxLength: 100, example: 'Ada', description: 'null or "" clears it' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(100)
  displayName: string | null;
}

export class UpdateRolesDto {
  @ApiProperty({ enum: ROLES, isArray: true, example: ['CUSTOMER', 'TELLER'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(ROLES.length)
  @ArrayUnique()
  @IsIn(ROLES, { each: true })
  roles: Role[];
}

export class UpdatePrivilegeLevelDto {
  @ApiProperty({ enum: PRIVILEGE_LEVELS, example: 'PREMIUM' })
  @IsIn(PRIVILEGE_LEVELS)
  privilegeLevel: PrivilegeLevel;
}
