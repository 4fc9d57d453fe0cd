/**
 * HTTP as a careful client does it, through the fleet's balancer, with every attempt recorded
 * for the checker. Money movements carry an Idempotency-Key and are retried with the SAME key on
 * connection errors, timeouts, 503 and 409 IDEMPOTENCY_IN_PROGRESS (on the next replica); other
 * requests are retried only when the connection was refused (nothing reached the server) or on a
 * 503, and a refresh never (a retried refresh would present a token that may already be spent).
 */
import type { Fleet } from './fleet';

export type OpKind =
  | 'signup'
  | 'verify'
  | 'signin'
  | 'refresh'
  | 'signout'
  | 'open-account'
  | 'deposit'
  | 'withdrawal'
  | 'transfer'
  | 'read'
  | 'league'
  | 'join'
  | 'auction'
  | 'bid'
  | 'probe';

export type RetryPolicy = 'same-key' | 'refused-only' | 'never';

export interface Attempt {
  replica: string;
  /** the process that answered (or was asked) */
  pid?: number;
  start: number;
  end: number;
  status?: number;
  code?: string;
  error?: string;
}

export interface OpRecord {
  id: number;
  kind: OpKind;
  method: string;
  path: string;
  userId?: string;
  start: number;
  end: number;
  /** Final answer after the client's retries; undefined = no answer (outcome unknown). */
  status?: number;
  code?: string;
  attempts: Attempt[];
  key?: string;
  request?: Record<string, unknown>;
  body?: any;
  via?: 'rest' | 'socket';
}

const ATTEMPT_TIMEOUT_MS = 5_000;
const OP_DEADLINE_MS = 30_000;
const MAX_ATTEMPTS = 12;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class History {
  readonly ops: OpRecord[] = [];
  private nextId = 1;
  add(op: Omit<OpRecord, 'id'>): OpRecord {
    const rec = { ...op, id: this.nextId++ };
    this.ops.push(rec);
    return rec;
  }
}

function errorCode(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: string; name?: string }; code?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'TIMEOUT';
  return e.cause?.code ?? e.code ?? e.cause?.name ?? e.name ?? 'ERROR';
}

export class SoakClient {
  constructor(
    private readonly fleet: Fleet,
    readonly history: History,
    private readonly isRunning: () => boolean,
  ) {}

  async request(
    kind: OpKind,
    method: string,
    path: string,
    opts: {
      token?: string;
      body?: Record<string, unknown>;
      key?: string;
      userId?: string;
      retry?: RetryPolicy;
      keepBody?: boolean;
    } = {},
  ): Promise<OpRecord> {
    const retry = opts.retry ?? (method === 'GET' || opts.key ? 'same-key' : 'refused-only');
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.key) headers['idempotency-key'] = opts.key;
    if (opts.body) headers['content-type'] = 'application/json';
    const payload = opts.body ? JSON.stringify(opts.body) : undefined;
    const start = Date.now();
    const attempts: Attempt[] = [];
    let status: number | undefined;
    let code: string | undefined;
    let body: any;
    let last: ReturnType<Fleet['pick']>;
    while (attempts.length < MAX_ATTEMPTS && Date.now() - start < OP_DEADLINE_MS) {
      const slot = this.fleet.pick(last);
      if (!slot?.app) {
        await sleep(200);
        if (!this.isRunning() && Date.now() - start > 10_000) break;
        continue;
      }
      last = slot;
      const attempt: Attempt = { replica: slot.name, pid: slot.app.pid, start: Date.now(), end: 0 };
      attempts.push(attempt);
      try {
        const res = await fetch(slot.app.baseUrl + path, {
          method,
          headers,
          body: payload,
          signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
        });
        const text = await res.text();
        attempt.end = Date.now();
        attempt.status = res.status;
        let parsed: any = text;
        if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
        attempt.code = typeof parsed === 'object' && parsed ? parsed.code : undefined;
        status = res.status;
        code = attempt.code;
        body = parsed;
        const transient = res.status === 503 || (res.status === 409 && code === 'IDEMPOTENCY_IN_PROGRESS');
        if (transient && retry !== 'never') {
          const retryAfter = Number(res.headers.get('retry-after') ?? '0');
          await sleep(Math.min(1_000, Math.max(150, retryAfter * 1000)));
          continue;
        }
        break;
      } catch (err) {
        attempt.end = Date.now();
        attempt.error = errorCode(err);
        status = undefined;
        code = undefined;
        body = undefined;
        this.fleet.suspect(slot);
        const nothingSent = attempt.error === 'ECONNREFUSED';
        if (retry === 'same-key' || (retry === 'refused-only' && nothingSent)) {
          await sleep(50);
          continue;
        }
        break;
      }
    }
    const rec = this.history.add({
      kind,
      method,
      path,
      userId: opts.userId,
      start,
      end: Date.now(),
      status,
      code,
      attempts,
      key: opts.key,
      request: opts.body,
      body: opts.keepBody ? body : undefined,
      via: 'rest',
    });
    // The caller always sees the body; the history keeps it only where the checker needs it.
    return { ...rec, body };
  }
}

export const ok = (op: OpRecord) => op.status !== undefined && op.status >= 200 && op.status < 300;
