import { Writable } from 'node:stream';
import { createLogger, flatLineLogger, type LogStream } from './logger';
import { requestContext } from './request-context';

/** A logger writing into an array of parsed lines. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger('info', stream as unknown as LogStream), lines };
}

describe('createLogger', () => {
  it('redacts secrets at the top level and one level down', () => {
    const { logger, lines } = capture();
    logger.info({ password: 'p1', body: { password: 'p2', newPassword: 'p3', refreshToken: 't1' }, keep: 'k' }, 'x');
    expect(lines[0]).toMatchObject({
      password: '[REDACTED]',
      body: { password: '[REDACTED]', newPassword: '[REDACTED]', refreshToken: '[REDACTED]' },
      keep: 'k',
      msg: 'x',
      level: 'info',
    });
  });

  it("adds the current request's id to every line written while serving it", () => {
    const { logger, lines } = capture();
    requestContext.run({ requestId: 'req-123456789', ip: '127.0.0.1' }, () => logger.info('inside'));
    logger.info('outside');
    expect(lines[0].requestId).toBe('req-123456789');
    expect(lines[1]).not.toHaveProperty('requestId');
  });
});

describe('flatLineLogger', () => {
  it('keeps the top-level redaction and the request id, and writes flat lines unchanged', () => {
    const { logger, lines } = capture();
    const flat = flatLineLogger(logger);
    requestContext.run({ requestId: 'req-123456789', ip: '127.0.0.1' }, () =>
      flat.info({ method: 'GET', route: '/api/v1/accounts/:accountNumber', status: 200, ms: 3, token: 't' }, 'request completed'),
    );
    expect(lines[0]).toMatchObject({
      requestId: 'req-123456789',
      method: 'GET',
      route: '/api/v1/accounts/:accountNumber',
      status: 200,
      ms: 3,
      token: '[REDACTED]',
      msg: 'request completed',
    });
  });

  it('does not look inside nested objects (only for lines of a fixed flat shape)', () => {
    const { logger, lines } = capture();
    flatLineLogger(logger).info({ nested: { password: 'p' } }, 'x');
    logger.info({ nested: { password: 'p' } }, 'x');
    expect(lines[0]).toMatchObject({ nested: { password: 'p' } });
    expect(lines[1]).toMatchObject({ nested: { password: '[REDACTED]' } });
  });
});
