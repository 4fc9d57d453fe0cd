/** /api/v1/auth/password: forgot (202 always), reset (token from the mail), change (signed in). */
import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ProblemDto } from '../infra/http/problem.dto';
import type { AuthUser } from './auth-user';
import { CurrentUser } from './decorators/current-user.decorator';
import { Public } from './decorators/public.decorator';
import { ChangePasswordDto, ForgotPasswordDto, ResetPasswordDto } from './dto/auth.dto';
import { PasswordService } from './password.service';
import { VALIDATE } from '../infra/http/validation-pipe';

@ApiTags('auth')
@ApiBadRequestResponse({ type: ProblemDto, description: 'VALIDATION_FAILED' })
@Controller('api/v1/auth/password')
export class PasswordController {
  constructor(private readonly passwords: PasswordService) {}

  @Post('forgot')
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Ask for a password reset mail; answers 202 whether or not the account exists' })
  @ApiAcceptedResponse({ description: 'Accepted; a mail is sent if the account exists' })
  async forgot(@Body(VALIDATE) body: ForgotPasswordDto): Promise<void> {
    await this.passwords.requestReset(body.email);
  }

  @Post('reset')
  @Public()
  @HttpCode(204)
  @ApiOperation({ summary: 'Set a new password with the token from the mail (single-use, 1 h); signs out everywhere' })
  @ApiNoContentResponse({ description: 'Password changed; every session revoked' })
  @ApiResponse({ status: 400, type: ProblemDto, description: 'WEAK_PASSWORD or VALIDATION_FAILED' })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'TOKEN_INVALID (unknown, expired or used)' })
  async reset(@Body(VALIDATE) body: ResetPasswordDto): Promise<void> {
    await this.passwords.reset(body.token, body.newPassword);
  }

  @Post('change')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Change your password; your other sessions are revoked, this one is kept' })
  @ApiNoContentResponse({ description: 'Password changed' })
  @ApiResponse({ status: 400, type: ProblemDto, description: 'WEAK_PASSWORD or VALIDATION_FAILED' })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'UNAUTHENTICATED, or INVALID_CREDENTIALS (wrong current password)' })
  async change(@CurrentUser() user: AuthUser, @Body(VALIDATE) body: ChangePasswordDto): Promise<void> {
    await this.passwords.change(user, body.currentPassword, body.newPassword);
  }
}
