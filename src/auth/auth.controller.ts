/**
 * /api/v1/auth: sign-up, verification, sign-in, refresh, sign-out (DESIGN.md §4). HTTP only.
 * Every invalid, unknown, expired or used token (verification, reset, refresh) answers
 * 401 TOKEN_INVALID; a spent refresh token presented again answers 401 TOKEN_REUSED.
 */
import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ProblemDto } from '../infra/http/problem.dto';
import { RateLimit } from '../security/throttling/rate-limit.decorator';
import type { User } from '../users/user';
import { Public } from './decorators/public.decorator';
import { SignedUpUserDto, RefreshTokenDto, SignInDto, SignUpDto, TokenPairDto, VerifyEmailDto } from './dto/auth.dto';
import { RegistrationService } from './registration.service';
import { SessionsService, type TokenPair } from './sessions.service';
import { SignInService } from './sign-in.service';
import { VALIDATE } from '../infra/http/validation-pipe';

function account(user: User): SignedUpUserDto {
  return { id: user.id, email: user.email, roles: user.roles, privilegeLevel: user.privilegeLevel, emailVerified: user.emailVerified };
}

@ApiTags('auth')
@Public()
@ApiBadRequestResponse({ type: ProblemDto, description: 'VALIDATION_FAILED' })
@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly registration: RegistrationService,
    private readonly signInService: SignInService,
    private readonly sessions: SessionsService,
  ) {}

  @Post('signup')
  @ApiOperation({ summary: 'Create an account; a verification mail is sent' })
  @ApiCreatedResponse({ type: SignedUpUserDto })
  @ApiResponse({ status: 400, type: ProblemDto, description: 'WEAK_PASSWORD or VALIDATION_FAILED' })
  @ApiConflictResponse({ type: ProblemDto, description: 'EMAIL_TAKEN' })
  async signUp(@Body(VALIDATE) body: SignUpDto): Promise<SignedUpUserDto> {
    return account(await this.registration.signUp(body));
  }

  @Post('verify')
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm an email address with the token from the mail (single-use, 24 h)' })
  @ApiOkResponse({ type: SignedUpUserDto })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'TOKEN_INVALID (unknown, expired or used)' })
  async verify(@Body(VALIDATE) body: VerifyEmailDto): Promise<SignedUpUserDto> {
    return account(await this.registration.verifyEmail(body.token));
  }

  @Get('verify')
  @ApiOperation({ summary: 'Confirm an email address: the link of the verification mail' })
  @ApiOkResponse({ type: SignedUpUserDto })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'TOKEN_INVALID (unknown, expired or used)' })
  async verifyLink(@Query(VALIDATE) query: VerifyEmailDto): Promise<SignedUpUserDto> {
    return account(await this.registration.verifyEmail(query.token));
  }

  @Post('signin')
  @HttpCode(200)
  @RateLimit('signin')
  @ApiOperation({ summary: 'Sign in; 5 failures in 15 min lock the account for 15 min' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'INVALID_CREDENTIALS' })
  @ApiResponse({ status: 423, type: ProblemDto, description: 'ACCOUNT_LOCKED (Retry-After says for how long)' })
  @ApiTooManyRequestsResponse({ type: ProblemDto, description: 'RATE_LIMIT_EXCEEDED' })
  signIn(@Body(VALIDATE) body: SignInDto): Promise<TokenPair> {
    return this.signInService.signIn(body.email, body.password);
  }

  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Trade a refresh token for a new pair; the old one is spent' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'TOKEN_INVALID, or TOKEN_REUSED (a spent token: its whole session is revoked)' })
  refresh(@Body(VALIDATE) body: RefreshTokenDto): Promise<TokenPair> {
    return this.sessions.refresh(body.refreshToken);
  }

  @Post('signout')
  @HttpCode(204)
  @ApiOperation({ summary: "Sign out: revokes the refresh token's whole session" })
  @ApiNoContentResponse({ description: 'Signed out (also when already signed out)' })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'TOKEN_INVALID, or TOKEN_REUSED (a spent token)' })
  async signOut(@Body(VALIDATE) body: RefreshTokenDto): Promise<void> {
    await this.sessions.signOut(body.refreshToken);
  }
}
