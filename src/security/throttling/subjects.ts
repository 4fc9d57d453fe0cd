/**
 * Who a request is counted against. REST (the throttling guard) and Socket.IO (the gateway)
 * build the same subjects, so both draw from one budget. Pure: unit-tested.
 */

/** Probes and the metrics scrape are never throttled or blocked (kubelet and Prometheus share IPs). */
export function isExemptRoute(routeTemplate: string | undefined): boolean {
  if (!routeTemplate) return false;
  return routeTemplate.startsWith('/health/') || routeTemplate === '/health' || routeTemplate === '/metrics';
}

export function userSubject(userId: string): string {
  return `user:${userId}`;
}

/** `ip` must already be normalised (IPv4 as is, IPv6 reduced to its /64). */
export function ipSubject(ip: string): string {
  return `ip:${ip}`;
}

/** Sign-in attempts count per client IP AND target email, so one attacker cannot lock out a user from everywhere. */
export function signinSubject(ip: string, email: unknown): string {
  const normalised = typeof email === 'string' ? email.trim().toLowerCase().slice(0, 254) : '';
  return `ip:${ip}:email:${normalised}`;
}

/** The user id of a `user:<id>` subject, else undefined. */
export function userIdOf(subject: string): string | undefined {
  return subject.startsWith('user:') ? subject.slice(5) : undefined;
}

/** RateLimit-* header values (IETF draft): seconds, never below 1 while something is counted. */
export function rateLimitHeaders(decision: { limit: number; remaining: number; resetSeconds: number }): Record<string, string> {
  return {
    'RateLimit-Limit': String(decision.limit),
    'RateLimit-Remaining': String(decision.remaining),
    'RateLimit-Reset': String(decision.resetSeconds),
  };
}
