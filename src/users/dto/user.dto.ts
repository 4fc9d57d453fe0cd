import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { CURSOR, EMAIL, NO_CONTROL_CHARS, text, TIMESTAMP, UUID } from '../../infra/http/openapi/fields';
import { MAX_PAGE_LIMIT } from '../../infra/http/pagination';
import { PRIVILEGE_LEVELS, ROLES, type PrivilegeLevel, type Role } from '../../auth/auth-user';

export class UserProfileDto {
  @ApiProperty(UUID)
  id: string;

  @ApiProperty(EMAIL)
  email: string;

  @ApiProperty({ ...text(100), nullable: true, example: 'Ada' })
  displayName: string | null;

  @ApiProperty({ enum: ROLES, isArray: true, maxItems: ROLES.length, example: ['CUSTOMER'] })
  roles: Role[];

  @ApiProperty({ enum: PRIVILEGE_LEVELS, example: 'BASIC' })
  privilegeLevel: PrivilegeLevel;

  @ApiProperty()
  emailVerified: boolean;

  @ApiProperty(TIMESTAMP)
  createdAt: string;
}

export class UserPageDto {
  @ApiProperty({ type: [UserProfileDto], maxItems: MAX_PAGE_LIMIT })
  items: UserProfileDto[];

  @ApiProperty({ ...CURSOR, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page' })
  nextCursor: string | null;
}

export class UpdateProfileDto {
  @ApiProperty({ ...text(100), nullable: true, example: 'Ada', description: 'null or "" clears it' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(100)
  @Matches(NO_CONTROL_CHARS, { message: 'displayName must not contain control characters' })
  displayName: string | null;
}

export class UpdateRolesDto {
  @ApiProperty({ enum: ROLES, isArray: true, minItems: 1, maxItems: ROLES.length, uniqueItems: true, example: ['CUSTOMER', 'TELLER'] })
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
