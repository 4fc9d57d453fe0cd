import { Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '../../config/config.service';
import { createLogger, createLogStream, endLogStream, type LogStream } from './logger';

export const LOGGER = Symbol('LOGGER');
let processLogger: Logger | undefined;
let processLogStream: LogStream | undefined;

/** The process-wide pino logger (created on first use, shared by Fastify and Nest). */
export function rootLogger(level?: string): Logger {
  if (!processLogger) {
    processLogStream = createLogStream();
    processLogger = createLogger(level ?? AppConfig.load().LOG_LEVEL, processLogStream);
  }
  return processLogger;
}

/**
 * Exits once every line logged so far is written, in order (see endLogStream), or after
 * `timeoutMs` (forced exits pass a short one).
 */
export function exitAfterLogs(code: number, timeoutMs?: number): void {
  if (!processLogStream) process.exit(code);
  endLogStream(processLogStream, () => process.exit(code), timeoutMs);
}

@Global()
@Module({
  providers: [
    { provide: LOGGER, useFactory: (config: AppConfig) => rootLogger(config.get('LOG_LEVEL')), inject: [AppConfig] },
  ],
  exports: [LOGGER],
})
export class LoggingModule {}
