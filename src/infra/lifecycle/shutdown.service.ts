/**
 * Owns the process's shutdown state and the cleanup stack.
 * Resources push a closer when they open; on shutdown the closers run in LIFO order (reverse
 * order of opening), each with its own timeout, from `onApplicationShutdown` — after Nest has
 * stopped the HTTP server — never from `onModuleDestroy`, which runs before the drain.
 */
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../logging/logging.module';

export interface Closer {
  name: string;
  close: () => Promise<void> | void;
  timeoutMs?: number;
}

export type ShutdownPhase = 'running' | 'draining' | 'closing' | 'closed';

@Injectable()
export class ShutdownService implements OnApplicationShutdown {
  private readonly closers: Closer[] = [];
  private phaseValue: ShutdownPhase = 'running';

  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  get phase(): ShutdownPhase {
    return this.phaseValue;
  }

  /** True from the moment a termination signal arrives: readiness answers 503. */
  get isShuttingDown(): boolean {
    return this.phaseValue !== 'running';
  }

  /** True once the drain delay is over: new requests are refused with 503. */
  get isClosing(): boolean {
    return this.phaseValue === 'closing' || this.phaseValue === 'closed';
  }

  beginDrain(): void {
    if (this.phaseValue === 'running') this.phaseValue = 'draining';
  }

  beginClose(): void {
    this.phaseValue = 'closing';
  }

  /** Registers a cleanup step; steps run last-in, first-out. */
  onShutdown(closer: Closer): void {
    this.closers.push(closer);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runClosers();
  }

  async runClosers(): Promise<void> {
    while (this.closers.length > 0) {
      const closer = this.closers.pop()!;
      const timeoutMs = closer.timeoutMs ?? 5000;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(closer.close),
          new Promise((_, rej) => {
            timer = setTimeout(() => rej(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        this.logger.info({ component: closer.name }, 'closed');
      } catch (err) {
        this.logger.warn({ component: closer.name, err: String(err) }, 'cleanup step failed');
      } finally {
        clearTimeout(timer);
      }
    }
    this.phaseValue = 'closed';
  }
}
