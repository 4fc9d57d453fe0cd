import { Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '../../config/config.service';
import { createLogger } from './logger';

export const LOGGER = Symbol('LOGGER');
let processLogger: Logger | undefined;

/** The process-wide pino logger (created on first use, shared by Fastify and Nest). */
export function rootLogger(level?: string): Logger {
  processLogger ??= createLogger(level ?? AppConfig.load().LOG_LEVEL);
  return processLogger;
}

@Global()
@Module({
  providers: [
    { provide: LOGGER, useFactory: (config: AppConfig) => rootLogger(config.get('LOG_LEVEL')), inject: [AppConfig] },
  ],
  exports: [LOGGER],
})
export class LoggingModule {}
