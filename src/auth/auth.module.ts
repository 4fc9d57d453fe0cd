/**
 * Authentication and sessions. Three global guards run in this order on every HTTP route:
 * JwtAuthGuard (who is calling; @Public() opts out), RolesGuard (@Roles), VerifiedEmailGuard
 * (@Verified). TokenService is exported for the Socket.IO handshake.
 */
import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { AppConfig } from '../config/config.service';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthMetrics } from './auth.metrics';
import { AuthTokensRepository } from './auth-tokens.repository';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { RolesGuard } from './guards/roles.guard';
import { VerifiedEmailGuard } from './guards/verified-email.guard';
import { LockoutService } from './lockout.service';
import { PasswordController } from './password.controller';
import { PasswordHasher } from './password-hasher';
import { PasswordService } from './password.service';
import { RegistrationService } from './registration.service';
import { SessionsService } from './sessions.service';
import { SignInService } from './sign-in.service';
import { SigningKeys } from './signing-keys';
import { TokenService } from './token.service';

@Global()
@Module({
  imports: [
    UsersModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        // TokenService passes the key on every sign and verify (SigningKeys: one KeyObject per
        // secret, picked by the token's kid); this default only serves code that passes none.
        secret: new SigningKeys(config.get('JWT_SECRET')).currentKey as unknown as Buffer,
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController, PasswordController],
  providers: [
    TokenService,
    AuthMetrics,
    AuthTokensRepository,
    PasswordHasher,
    LockoutService,
    SessionsService,
    RegistrationService,
    SignInService,
    PasswordService,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
    { provide: APP_GUARD, useClass: VerifiedEmailGuard },
  ],
  exports: [TokenService],
})
export class AuthModule {}
