/**
 * A loopback TCP proxy that injects network faults between an app replica and PostgreSQL or
 * Redis, on command. Failure tests and the soak (`npm run soak`) put one in front of each
 * dependency and point the replica at `proxy.port` instead of the server's own port.
 *
 * Faults it can inject, each undone by `heal()`:
 * - `setLatency(ms, jitterMs)`: every chunk in either direction is delayed (order kept).
 * - `refuseNew()`: new connections are accepted and reset at once (a server that is gone).
 * - `blackhole()`: new and existing connections stay open but nothing is forwarded (a partition;
 *   the client only notices through its own timeouts); what was held is delivered on `heal()`.
 * - `dropAll()`: every open connection is reset now (a restart or a middlebox dropping state).
 * - `cutWhen(pattern, moment)`: the next connection whose client sends bytes containing
 *   `pattern` is reset either `before` those bytes reach the server (nothing of them happened) or
 *   `after` they reached it but before its answer reaches the client (the outcome is unknown to
 *   the client: e.g. a COMMIT that the server applied). On a PostgreSQL connection a named
 *   prepared statement counts as sending its text each time it runs (a Bind of it), although
 *   after its first use only its name goes over the wire.
 *
 * Only 127.0.0.1 is ever listened on or connected to.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type CutMoment = 'before' | 'after';

interface Link {
  client: Socket;
  server: Socket;
  /** Chunks from the server are dropped (then the link reset) once a cut is pending here. */
  cutPending: boolean;
}

interface CutRule {
  pattern: Buffer;
  moment: CutMoment;
  remaining: number;
  resolve: () => void;
}

export interface FaultProxy {
  /** The port the app should connect to. */
  readonly port: number;
  readonly targetPort: number;
  /** Open proxied connections now. */
  connections(): number;
  /** Connections ever accepted (a pool reconnecting shows up here). */
  accepted(): number;
  setLatency(ms: number, jitterMs?: number): void;
  refuseNew(): void;
  blackhole(): void;
  dropAll(): void;
  /** Resolves when the rule fired (`times` connections cut). */
  cutWhen(pattern: string | Buffer, moment: CutMoment, times?: number): Promise<void>;
  /** Back to a transparent proxy (latency 0, new connections accepted, pending cuts cleared). */
  heal(): void;
  close(): Promise<void>;
}

const PG_PROTOCOL_3 = 196_608;

/**
 * Follows what one PostgreSQL client sends, so a cut can match a named prepared statement by its
 * text when the client only binds it by name. Anything that does not start like a plain
 * PostgreSQL session (Redis, a TLS request) turns it off for the connection.
 */
export class PgStatementTexts {
  private pending: Buffer = Buffer.alloc(0);
  private state: 'startup' | 'messages' | 'off' = 'startup';
  private readonly named = new Map<string, Buffer>();

  /** The texts of the named statements this chunk runs (binds); none for anything else. */
  feed(chunk: Buffer): Buffer[] {
    if (this.state === 'off') return [];
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const bound: Buffer[] = [];
    for (;;) {
      if (this.state === 'startup') {
        if (this.pending.length < 8) return bound;
        const code = this.pending.readUInt32BE(4);
        if (code !== PG_PROTOCOL_3) {
          // Not PostgreSQL, or an SSLRequest: what follows is not readable here.
          this.state = 'off';
          this.pending = Buffer.alloc(0);
          return bound;
        }
        const length = this.pending.readUInt32BE(0);
        if (this.pending.length < length) return bound;
        this.pending = this.pending.subarray(length);
        this.state = 'messages';
        continue;
      }
      if (this.pending.length < 5) return bound;
      const end = 1 + this.pending.readUInt32BE(1);
      if (this.pending.length < end) return bound;
      const type = String.fromCharCode(this.pending[0]);
      const body = this.pending.subarray(5, end);
      const nameEnd = body.indexOf(0);
      if (type === 'P' && nameEnd > 0) {
        // Parse: statement name, NUL, text, NUL, parameter types.
        this.named.set(body.toString('latin1', 0, nameEnd), Buffer.from(body.subarray(nameEnd + 1, body.indexOf(0, nameEnd + 1))));
      } else if (type === 'B') {
        // Bind: portal name, NUL, statement name, NUL, parameters.
        const text = this.named.get(body.toString('latin1', nameEnd + 1, body.indexOf(0, nameEnd + 1)));
        if (text) bound.push(text);
      }
      this.pending = this.pending.subarray(end);
    }
  }
}

export async function startFaultProxy(targetPort: number, opts: { port?: number; seedRandom?: () => number } = {}): Promise<FaultProxy> {
  const random = opts.seedRandom ?? Math.random;
  const links = new Set<Link>();
  let accepted = 0;
  let latencyMs = 0;
  let jitterMs = 0;
  let mode: 'pass' | 'refuse' | 'blackhole' = 'pass';
  let cuts: CutRule[] = [];
  // Delayed chunks are chained per direction so latency never reorders bytes.
  const chains = new WeakMap<Socket, Promise<void>>();
  // Bytes held while blackholed, delivered in order on heal (as TCP retransmission would).
  let held: Array<() => void> = [];

  const send = (from: Socket, to: Socket, chunk: Buffer) => {
    if (mode === 'blackhole') {
      held.push(() => send(from, to, chunk));
      return;
    }
    if (latencyMs === 0 && jitterMs === 0 && !chains.has(from)) {
      if (!to.destroyed) to.write(chunk);
      return;
    }
    const delay = latencyMs + (jitterMs > 0 ? Math.floor(random() * jitterMs) : 0);
    const prev = chains.get(from) ?? Promise.resolve();
    const next = prev.then(
      () =>
        new Promise<void>((res) =>
          setTimeout(() => {
            if (!to.destroyed) to.write(chunk);
            res();
          }, delay),
        ),
    );
    chains.set(from, next);
  };

  const reset = (link: Link) => {
    link.client.resetAndDestroy();
    link.server.resetAndDestroy();
    links.delete(link);
  };

  const matchCut = (chunk: Buffer, bound: Buffer[]): CutRule | undefined =>
    cuts.find((c) => c.remaining > 0 && (chunk.includes(c.pattern) || bound.some((text) => text.includes(c.pattern))));

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    accepted++;
    if (mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    const link: Link = { client, server: upstream, cutPending: false };
    links.add(link);
    client.resume();
    const statements = new PgStatementTexts();
    client.on('data', (chunk: Buffer) => {
      const rule = matchCut(chunk, statements.feed(chunk));
      if (rule) {
        rule.remaining--;
        if (rule.remaining === 0) cuts = cuts.filter((c) => c !== rule);
        if (rule.moment === 'before') {
          reset(link);
        } else {
          // Let the server have the bytes and withhold its answer: the link is reset as soon as the
          // server answers (it has acted on them), or after 2 s if it never does.
          link.cutPending = true;
          if (!upstream.destroyed) upstream.write(chunk);
          setTimeout(() => reset(link), 2000).unref();
        }
        rule.resolve();
        return;
      }
      send(client, upstream, chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (link.cutPending) {
        reset(link);
        return;
      }
      send(upstream, client, chunk);
    });
    const end = () => {
      if (!links.has(link)) return;
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port ?? 0, '127.0.0.1', () => res());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    port,
    targetPort,
    connections: () => links.size,
    accepted: () => accepted,
    setLatency(ms, jitter = 0) {
      latencyMs = ms;
      jitterMs = jitter;
    },
    refuseNew() {
      mode = 'refuse';
    },
    blackhole() {
      mode = 'blackhole';
    },
    dropAll() {
      for (const link of [...links]) reset(link);
    },
    cutWhen(pattern, moment, times = 1) {
      return new Promise<void>((resolve) => {
        let fired = 0;
        cuts.push({
          pattern: Buffer.isBuffer(pattern) ? pattern : Buffer.from(pattern),
          moment,
          remaining: times,
          resolve: () => {
            fired++;
            if (fired === times) resolve();
          },
        });
      });
    },
    heal() {
      mode = 'pass';
      latencyMs = 0;
      jitterMs = 0;
      cuts = [];
      const release = held;
      held = [];
      for (const deliver of release) deliver();
    },
    async close() {
      for (const link of [...links]) reset(link);
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}
