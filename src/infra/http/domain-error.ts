/**
 * Domain errors carry a stable code (DESIGN.md §3); the global filter renders them as
 * problem+json. Pure: no Nest imports, so error mapping is unit-testable.
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'EMAIL_NOT_VERIFIED',
  'NOT_FOUND',
  'CONFLICT',
  'EMAIL_TAKEN',
  'WEAK_PASSWORD',
  'INVALID_CREDENTIALS',
  'ACCOUNT_LOCKED',
  'TOKEN_INVALID',
  'TOKEN_REUSED',
  'INSUFFICIENT_FUNDS',
  'TRANSFER_LIMIT_EXCEEDED',
  'SAME_ACCOUNT',
  'IDEMPOTENCY_KEY_REUSED',
  'IDEMPOTENCY_IN_PROGRESS',
  'AUCTION_NOT_OPEN',
  'BID_TOO_LOW',
  'BUDGET_EXCEEDED',
  'NOT_A_PARTICIPANT',
  'LEAGUE_FULL',
  'RATE_LIMIT_EXCEEDED',
  'IP_BLOCKED',
  'SERVICE_UNAVAILABLE',
  'PAYLOAD_TOO_LARGE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FieldProblem {
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    readonly errors?: FieldProblem[],
    /** Extra response headers (e.g. Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  423: 'Locked',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Default code for a bare HTTP status (framework errors that carry no code). */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
    case 415:
      return 'VALIDATION_FAILED';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'FORBIDDEN';
    case 404:
    case 405:
      return 'NOT_FOUND';
    case 409:
      return 'CONFLICT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 429:
      return 'RATE_LIMIT_EXCEEDED';
    case 503:
      return 'SERVICE_UNAVAILABLE';
    default:
      return status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED';
  }
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ErrorCode;
  requestId: string;
  errors?: FieldProblem[];
}

export function problem(
  status: number,
  code: ErrorCode,
  detail: string,
  instance: string,
  requestId: string,
  errors?: FieldProblem[],
): ProblemDetails {
  const body: ProblemDetails = {
    type: `https://bulwark.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error'),
    status,
    detail,
    instance,
    code,
    requestId,
  };
  if (errors && errors.length > 0) body.errors = errors;
  return body;
}
