/**
 * Errors that mean "the database cannot be reached right now" (not "this request is wrong"):
 * they become 503 SERVICE_UNAVAILABLE with Retry-After instead of 500. Pure, unit-tested.
 */
const UNAVAILABLE_SQLSTATE_PREFIXES = ['08', '57P0', '53300']; // connection exceptions, admin/crash shutdown, too many connections
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EOPENBREAKER']);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
];

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: { code?: unknown; message?: unknown }; message?: unknown };
  const code = e?.driverError?.code ?? e?.code;
  if (typeof code === 'string') {
    if (UNAVAILABLE_NODE_CODES.has(code)) return true;
    if (UNAVAILABLE_SQLSTATE_PREFIXES.some((p) => code.startsWith(p))) return true;
  }
  const message = String(e?.driverError?.message ?? e?.message ?? '');
  return UNAVAILABLE_MESSAGES.some((m) => message.includes(m));
}
