/** Request and response bodies of /api/v1/auth (DESIGN.md §4). */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { PRIVILEGE_LEVELS, ROLES, type PrivilegeLevel, type Role } from '../auth-user';

const PASSWORD_DOC = '8–128 characters with an upper-case letter, a lower-case letter, a digit and a special character (else 400 WEAK_PASSWORD)';

export class SignUpDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ example: 'C0rrect-horse', description: PASSWORD_DOC })
  @IsString()
  @MaxLength(4096)
  password: string;

  @ApiPropertyOptional({ example: 'Ada', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  displayName?: string;
}

export class AccountDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'ada@example.com' })
  email: string;

  @ApiProperty({ enum: ROLES, isArray: true, example: ['CUSTOMER'] })
  roles: Role[];

  @ApiProperty({ enum: PRIVILEGE_LEVELS, example: 'BASIC' })
  privilegeLevel: PrivilegeLevel;

  @ApiProperty({ example: false })
  emailVerified: boolean;
}

export class SignInDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ example: 'C0rrect-horse' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(4096)
  password: string;
}

export class TokenPairDto {
  @ApiProperty({ description: 'HS256 JWT; send as "Authorization: Bearer <accessToken>"' })
  accessToken: string;

  @ApiProperty({ description: 'Opaque, single-use; trade it at POST /auth/refresh for a new pair' })
  refreshToken: string;

  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  tokenType: 'Bearer';

  @ApiProperty({ example: 900, description: 'Seconds until the access token expires' })
  expiresIn: number;
}

export class RefreshTokenDto {
  @ApiProperty({ description: 'A refresh token from sign-in or the last refresh' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  refreshToken: string;
}

export class VerifyEmailDto {
  @ApiProperty({ description: 'The token from the verification mail' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  token: string;
}

export class ForgotPasswordDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'The token from the password reset mail' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  token: string;

  @ApiProperty({ example: 'N3w-password!', description: PASSWORD_DOC })
  @IsString()
  @MaxLength(4096)
  newPassword: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(4096)
  currentPassword: string;

  @ApiProperty({ example: 'N3w-password!', description: PASSWORD_DOC })
  @IsString()
  @MaxLength(4096)
  newPassword: string;
}
