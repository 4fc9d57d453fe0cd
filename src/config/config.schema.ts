/**
 * The configuration schema: every setting Bulwark reads, its default and its validation.
 * Pure (zod only) so it is unit-testable; `loadConfig` is the one reader of process.env.
 */
import { z } from 'zod';
import { REDIS_NAMESPACE_PATTERN } from '../infra/redis/redis-names';

const WEAK_SECRETS = new Set([
  'dev-secret-change-in-production',
  'secret',
  'changeme',
  'change-me',
  'jwt-secret',
  'your-secret',
  'supersecret',
  'password',
]);

const bool = (dflt: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(dflt ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(dflt);

const list = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

/**
 * Browser origins allowed by CORS, e.g. "https://app.example.com". Credentials (the
 * Authorization header) are allowed, so a wildcard is refused rather than reflected.
 */
const origins = list.transform((entries, ctx) =>
  entries.map((entry) => {
    try {
      const url = new URL(entry);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin !== 'null' && !entry.includes('*')) return url.origin;
    } catch {
      /* reported below */
    }
    ctx.addIssue({ code: 'custom', message: `"${entry}" is not an origin such as https://app.example.com (no wildcards, no paths)` });
    return entry;
  }),
);

/** "limit/seconds", e.g. "20/60". */
export interface RateBudget {
  limit: number;
  windowMs: number;
}
const budget = (dflt: string) =>
  z
    .string()
    .default(dflt)
    .refine((v) => /^\d+\/\d+$/.test(v.trim()), { message: 'expected "limit/seconds", e.g. 20/60' })
    .transform((v): RateBudget => {
      const [limit, seconds] = v.trim().split('/').map(Number);
      return { limit, windowMs: seconds * 1000 };
    })
    .refine((b) => b.limit > 0 && b.windowMs > 0, { message: 'limit and seconds must be positive' });

/** "perTransaction/daily" as decimal strings, e.g. "1000.00/5000.00". */
export interface TransferLimit {
  perTransaction: string;
  daily: string;
}
const transferLimit = (dflt: string) =>
  z
    .string()
    .default(dflt)
    .refine((v) => /^\d{1,13}(\.\d{1,2})?\/\d{1,13}(\.\d{1,2})?$/.test(v.trim()), {
      message: 'expected "perTransaction/daily" decimal amounts, e.g. 1000.00/5000.00',
    })
    .transform((v): TransferLimit => {
      const [perTransaction, daily] = v.trim().split('/');
      return { perTransaction, daily };
    });

const url = (protocols: string[]) =>
  z
    .string()
    .optional()
    .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined))
    .refine(
      (v) => {
        if (v === undefined) return true;
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      { message: `must be a URL (${protocols.join(' or ')})` },
    );

/** "host:port,host:port" (IPv6 hosts in brackets), e.g. Sentinel or Cluster seed addresses. */
export interface HostPort {
  host: string;
  port: number;
}
const hostPorts = z
  .string()
  .optional()
  .transform((v, ctx): HostPort[] | undefined => {
    const entries = (v ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (entries.length === 0) return undefined;
    return entries.map((entry) => {
      const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(entry);
      const port = m ? Number(m[2]) : 0;
      if (!m || port < 1 || port > 65_535) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not host:port (e.g. redis-0.redis:26379)` });
        return { host: entry, port: 0 };
      }
      return { host: m[1].replace(/^\[|\]$/g, ''), port };
    });
  });

/** The Redis topology settings; exactly one may be set (REDIS_SENTINELS counts with its name). */
export const REDIS_TOPOLOGY_KEYS = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const;

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: int(3000, 0, 65535),
    HOST: z.string().default('0.0.0.0'),
    DATABASE_URL: url(['postgres:', 'postgresql:']),
    DB_POOL_SIZE: int(10, 1, 500),
    DB_STATEMENT_TIMEOUT_MS: int(5000, 0),
    DB_CONNECT_TIMEOUT_MS: int(5000, 100),
    // How long a starting replica waits for an unreachable database before it gives up (0: no wait).
    DB_STARTUP_WAIT_MS: int(120000, 0),
    DB_PREPARED_STATEMENTS: bool(true),
    DB_MIGRATE_ON_START: z.enum(['true', 'false', 'auto']).default('auto'),
    EMBEDDED_PG_DIR: z.string().default('./.data/postgres'),
    REDIS_URL: url(['redis:', 'rediss:']),
    REDIS_SENTINELS: hostPorts,
    REDIS_SENTINEL_NAME: z
      .string()
      .optional()
      .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined)),
    REDIS_CLUSTER_NODES: hostPorts,
    REDIS_CLUSTER_PUBSUB: z.enum(['sharded', 'classic']).default('sharded'),
    // Empty: today's names (bw:…, socket.io). Deployments sharing one Redis need distinct ones.
    REDIS_NAMESPACE: z
      .string()
      .default('')
      .transform((v) => v.trim())
      .refine((v) => v === '' || REDIS_NAMESPACE_PATTERN.test(v), {
        message: 'letters, digits, ".", "_" and "-" only (at most 64, no ":" or braces), e.g. staging',
      }),
    REDIS_USERNAME: z
      .string()
      .optional()
      .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined)),
    // Not trimmed: a password may contain spaces.
    REDIS_PASSWORD: z.string().optional(),
    JWT_SECRET: z.string().default('dev-secret-change-in-production'),
    // Verify-only secrets during a rotation (comma-separated; a secret cannot contain a comma).
    JWT_PREVIOUS_SECRETS: list,
    JWT_ACCESS_TTL: int(900, 10),
    JWT_REFRESH_TTL: int(2_592_000, 60),
    JWT_ISSUER: z.string().min(1).default('bulwark'),
    JWT_AUDIENCE: z.string().min(1).default('bulwark-api'),
    CORS_ORIGINS: origins,
    TRUST_PROXY: list,
    SMTP_URL: url(['smtp:', 'smtps:']),
    MAIL_FROM: z.string().default('Bulwark <no-reply@bulwark.local>'),
    PUBLIC_BASE_URL: z.string().default('http://localhost:3000'),
    ADMIN_EMAILS: list.transform((l) => l.map((e) => e.toLowerCase())),
    ENABLE_RATE_LIMITING: bool(true),
    ENABLE_ABUSE_DETECTION: bool(true),
    ENABLE_METRICS: bool(true),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    OUTAGE_LOG_INTERVAL_MS: int(10_000, 100, 3_600_000),
    SHUTDOWN_GRACE_MS: int(25_000, 100),
    SHUTDOWN_DRAIN_MS: int(5_000, 0),
    AUCTION_SCAN_INTERVAL_MS: int(500, 50, 10_000),
    AUCTION_TIMER_LEASE_MS: int(1_500, 200, 60_000),
    AUCTION_TICK_INTERVAL_MS: int(1_000, 100, 60_000),
    OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']),
    TLS_CERT_FILE: optionalString,
    TLS_KEY_FILE: optionalString,
    RATE_LIMIT_FAIL_MODE: z.enum(['open', 'closed']).default('open'),
    RATE_LIMIT_REDIS_TIMEOUT_MS: int(100, 1, 10_000),
    REDIS_STORE_TIMEOUT_MS: int(500, 1, 10_000),
    // Staff (@Roles) routes answer 503 once this replica may have missed revocations for longer.
    REVOCATION_MAX_STALENESS_MS: int(10_000, 1_000, 600_000),
    RATE_LIMIT_DEPOSITS: budget('50/3600'),
    RATE_LIMIT_WITHDRAWALS: budget('30/3600'),
    RATE_LIMIT_TRANSFERS: budget('20/3600'),
    RATE_LIMIT_LEAGUES: budget('5/300'),
    RATE_LIMIT_BIDS: budget('20/60'),
    RATE_LIMIT_SIGNIN: budget('10/60'),
    RATE_LIMIT_STATUS: budget('60/60'),
    IP_BLOCK_THRESHOLD: budget('100/60'),
    IP_BLOCK_DURATION_S: int(900, 1),
    ABUSE_THRESHOLD: budget('50/300'),
    LOCKOUT_THRESHOLD: budget('5/900'),
    LOCKOUT_DURATION_S: int(900, 1),
    EMAIL_VERIFICATION_TTL_S: int(86_400, 60),
    PASSWORD_RESET_TTL_S: int(3_600, 60),
    PASSWORD_HASH_MEMORY_KIB: int(19_456, 1_024, 1_048_576),
    PASSWORD_HASH_TIME_COST: int(2, 1, 20),
    MAIL_POLL_INTERVAL_MS: int(1_000, 50, 60_000),
    MAIL_BATCH_SIZE: int(10, 1, 500),
    MAIL_SEND_TIMEOUT_MS: int(10_000, 100, 120_000),
    MAIL_RETRY_BASE_MS: int(1_000, 10),
    MAIL_RETRY_MAX_MS: int(300_000, 10),
    MAIL_MAX_ATTEMPTS: int(12, 1, 1_000),
    MAIL_BREAKER_RESET_MS: int(30_000, 100),
    TRANSFER_LIMITS_BASIC: transferLimit('1000.00/5000.00'),
    TRANSFER_LIMITS_PREMIUM: transferLimit('10000.00/50000.00'),
    TRANSFER_LIMITS_BUSINESS: transferLimit('100000.00/500000.00'),
    LEDGER_CURRENCIES: z
      .string()
      .default('GBP,EUR,USD')
      .transform((v) => v.split(',').map((s) => s.trim().toUpperCase()).filter((s) => s.length > 0))
      .refine((l) => l.length > 0 && l.every((c) => /^[A-Z]{3}$/.test(c)), { message: 'expected ISO 4217 codes, e.g. GBP,EUR,USD' }),
    IDEMPOTENCY_KEY_TTL_S: int(86_400, 60),
    // Retention (one replica at a time): 0 turns the periodic purge off.
    RETENTION_INTERVAL_MS: int(900_000, 0),
    RETENTION_BATCH_SIZE: int(500, 1, 10_000),
    RETENTION_REFRESH_TOKENS_DAYS: int(7, 0),
    RETENTION_EMAIL_TOKENS_DAYS: int(7, 0),
    RETENTION_MAIL_OUTBOX_DAYS: int(14, 0),
  })
  .superRefine((c, ctx) => {
    const topologies = REDIS_TOPOLOGY_KEYS.filter((k) => c[k] !== undefined);
    if (topologies.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: [topologies.join(', ')],
        message: `set only one Redis topology: ${topologies.join(' and ')} are both set`,
      });
    }
    if (c.REDIS_SENTINELS && !c.REDIS_SENTINEL_NAME) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINEL_NAME'], message: 'is required with REDIS_SENTINELS (the monitored primary\'s name)' });
    }
    if (c.REDIS_SENTINEL_NAME && !c.REDIS_SENTINELS) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINELS'], message: 'is required with REDIS_SENTINEL_NAME (host:port of each sentinel)' });
    }
    // The grace counts from the signal and includes the drain: a drain as long as the grace
    // would end every SIGTERM in a forced exit 1, with in-flight requests cut off.
    if (c.SHUTDOWN_DRAIN_MS >= c.SHUTDOWN_GRACE_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['SHUTDOWN_DRAIN_MS'],
        message: `must be less than SHUTDOWN_GRACE_MS (${c.SHUTDOWN_GRACE_MS}), which counts from the signal and includes the drain`,
      });
    }
    if (Boolean(c.TLS_CERT_FILE) !== Boolean(c.TLS_KEY_FILE)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.TLS_CERT_FILE ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'],
        message: 'TLS_CERT_FILE and TLS_KEY_FILE must be set together',
      });
    }
  });

function isWeakSecret(secret: string): boolean {
  return secret.length < 32 || WEAK_SECRETS.has(secret.toLowerCase());
}

/**
 * Production rules, checked on the raw environment so they are reported together with any
 * other invalid key (a schema failure elsewhere must not hide them).
 */
function productionProblems(env: Record<string, string>): string[] {
  if (env.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  if (!env.DATABASE_URL) problems.push('DATABASE_URL is required in production');
  if (!REDIS_TOPOLOGY_KEYS.some((k) => env[k])) {
    problems.push('REDIS_URL (or REDIS_SENTINELS with REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES) is required in production');
  }
  if (isWeakSecret(env.JWT_SECRET ?? '')) {
    problems.push('JWT_SECRET is weak: use at least 32 random characters, not a well-known default');
  }
  // A verify-only secret accepts tokens just like the signing one: the same rules apply.
  const previous = (env.JWT_PREVIOUS_SECRETS ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  previous.forEach((secret, i) => {
    if (isWeakSecret(secret)) {
      problems.push(`JWT_PREVIOUS_SECRETS entry ${i + 1} is weak: use at least 32 random characters, not a well-known default`);
    }
  });
  return problems;
}

export type Config = z.output<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Validates an environment; throws ONE ConfigError naming every bad key. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && v !== '') cleaned[k] = v;
  }
  const result = configSchema.safeParse(cleaned);
  const problems = productionProblems(cleaned);
  if (!result.success) {
    problems.push(...result.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return result.data!;
}
