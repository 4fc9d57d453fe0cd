/** Request and response bodies of /api/v1/auth (DESIGN.md §4). */
import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { PRIVILEGE_LEVELS, ROLES, type PrivilegeLevel, type Role } from '../auth-user';
import { EMAIL, JWT, OPAQUE_TOKEN, PatternField, TextField, TOKEN_INPUT, UUID } from '../../infra/http/openapi/fields';

const PASSWORD_DOC = '8–128 characters with an upper-case letter, a lower-case letter, a digit and a special character (else 400 WEAK_PASSWORD)';
/**
 * Passwords: any characters (the policy judges them). A password being checked (sign-in, the
 * current one) is capped here, which keeps hashing bounded; a new one is not, because DESIGN §4
 * answers every length outside 8–128 with WEAK_PASSWORD, and the policy refuses it before any
 * hashing (the 100 KiB body limit bounds it). The documents show one cap for both.
 */
const PASSWORD = { type: String, format: 'password', maxLength: 4096 } as const;
const TOKEN_MESSAGE = '$property must be a token as issued (letters, digits, "-" and "_")';

export class SignUpDto {
  @ApiProperty(EMAIL)
  @IsEmail()
  @MaxLength(EMAIL.maxLength)
  email: string;

  @ApiProperty({ ...PASSWORD, example: 'C0rrect-horse', description: PASSWORD_DOC })
  @IsString()
  password: string;

  @TextField(100, { optional: true, minLength: 0, example: 'Ada' })
  displayName?: string;
}

/** The user as sign-up and verification return it. */
export class SignedUpUserDto {
  @ApiProperty(UUID)
  id: string;

  @ApiProperty(EMAIL)
  email: string;

  @ApiProperty({ enum: ROLES, isArray: true, maxItems: ROLES.length, example: ['CUSTOMER'] })
  roles: Role[];

  @ApiProperty({ enum: PRIVILEGE_LEVELS, example: 'BASIC' })
  privilegeLevel: PrivilegeLevel;

  @ApiProperty({ example: false })
  emailVerified: boolean;
}

export class SignInDto {
  @ApiProperty(EMAIL)
  @IsEmail()
  @MaxLength(EMAIL.maxLength)
  email: string;

  @ApiProperty({ ...PASSWORD, example: 'C0rrect-horse' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD.maxLength)
  password: string;
}

export class TokenPairDto {
  @ApiProperty({ ...JWT, description: 'HS256 JWT; send as "Authorization: Bearer <accessToken>"' })
  accessToken: string;

  @ApiProperty({ ...OPAQUE_TOKEN, description: 'Opaque, single-use; trade it at POST /auth/refresh for a new pair' })
  refreshToken: string;

  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  tokenType: 'Bearer';

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 1, maximum: 2_147_483_647, example: 900, description: 'Seconds until the access token expires' })
  expiresIn: number;
}

export class RefreshTokenDto {
  @PatternField(TOKEN_INPUT, TOKEN_MESSAGE, { description: 'A refresh token from sign-in or the last refresh' })
  refreshToken: string;
}

export class VerifyEmailDto {
  @PatternField(TOKEN_INPUT, TOKEN_MESSAGE, { description: 'The token from the verification mail' })
  token: string;
}

export class ForgotPasswordDto {
  @ApiProperty(EMAIL)
  @IsEmail()
  @MaxLength(EMAIL.maxLength)
  email: string;
}

export class ResetPasswordDto {
  @PatternField(TOKEN_INPUT, TOKEN_MESSAGE, { description: 'The token from the password reset mail' })
  token: string;

  @ApiProperty({ ...PASSWORD, example: 'N3w-password!', description: PASSWORD_DOC })
  @IsString()
  newPassword: string;
}

export class ChangePasswordDto {
  @ApiProperty(PASSWORD)
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD.maxLength)
  currentPassword: string;

  @ApiProperty({ ...PASSWORD, example: 'N3w-password!', description: PASSWORD_DOC })
  @IsString()
  newPassword: string;
}
