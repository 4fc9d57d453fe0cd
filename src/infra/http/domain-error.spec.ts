import { codeForStatus, ERROR_CODES, problem } from './domain-error';

describe('problem details', () => {
  it.each([
    [400, 'VALIDATION_FAILED'],
    [401, 'UNAUTHENTICATED'],
    [403, 'FORBIDDEN'],
    [404, 'NOT_FOUND'],
    [409, 'CONFLICT'],
    [413, 'PAYLOAD_TOO_LARGE'],
    [429, 'RATE_LIMIT_EXCEEDED'],
    [500, 'INTERNAL'],
    [502, 'INTERNAL'],
    [503, 'SERVICE_UNAVAILABLE'],
  ])('maps a bare %i to %s', (status, code) => {
    expect(codeForStatus(status)).toBe(code);
  });

  it('builds an RFC 9457 body with code and requestId, errors only when present', () => {
    const body = problem(400, 'VALIDATION_FAILED', 'bad', '/api/v1/x', 'req-1', [{ field: 'amount', message: 'must be a string' }]);
    expect(body).toEqual({
      type: 'https://bulwark.dev/problems/validation-failed',
      title: 'Bad Request',
      status: 400,
      detail: 'bad',
      instance: '/api/v1/x',
      code: 'VALIDATION_FAILED',
      requestId: 'req-1',
      errors: [{ field: 'amount', message: 'must be a string' }],
    });
    expect(problem(404, 'NOT_FOUND', 'x', '/', 'r')).not.toHaveProperty('errors');
  });

  it('lists every stable code of the contract', () => {
    expect(ERROR_CODES).toHaveLength(27);
    for (const code of ERROR_CODES) expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
  });
});
