/**
 * What the process does with an error nobody handled: an exception thrown out of a callback, or a
 * rejected promise nobody awaited. The replica's state is then unknown, so it still exits with 1,
 * as Node's default (`--unhandled-rejections=throw`) would, and the orchestrator restarts it;
 * nothing accepted is lost (every write commits in one PostgreSQL transaction or not at all). What
 * this adds is the reason: one `fatal` JSON line with the error (or the rejection's reason, even
 * when it is not an Error, which Node's default reduces to "[object Object]") and its origin,
 * written before the exit, instead of a bare stack on stderr that log pipelines split into lines.
 */
import type { Logger } from 'pino';

/** The exit code of a replica that met an error nobody handled (Node's own is also 1). */
const FATAL_EXIT_CODE = 1;

export function installFatalErrorHandler(logger: Logger, exit: (code: number) => void): void {
  let exiting = false;
  const fatal = (err: unknown, origin: NodeJS.UncaughtExceptionOrigin) => {
    // A second error while the first one's line is being written must not log or exit twice.
    if (exiting) return;
    exiting = true;
    try {
      logger.fatal(
        { err, origin },
        origin === 'unhandledRejection' ? 'unhandled promise rejection: exiting' : 'uncaught exception: exiting',
      );
    } catch {
      // A logger that cannot write (a closed stdout) must not keep the process alive.
    }
    exit(FATAL_EXIT_CODE);
  };
  // With a listener here Node no longer turns the rejection into an uncaught exception itself.
  process.on('unhandledRejection', (reason: unknown) => fatal(reason, 'unhandledRejection'));
  process.on('uncaughtException', fatal);
}
