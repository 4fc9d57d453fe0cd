/**
 * The replicas of a soak run and the client-side load balancer in front of them. Each slot
 * (`replica-1`…) keeps its fault proxies for the whole run; the process in it is replaced on a
 * kill or a rolling restart. Readiness is polled like endpoints would be, and the balancer only
 * routes to slots whose last probe answered 200, moving on to the next slot on connection errors.
 */
import { startApp, type AppProcess, type FaultProxy } from '../test/harness';
import type { Prng } from './prng';
import type { Database, RedisTopology } from './topology';

export interface Slot {
  name: string;
  app?: AppProcess;
  /** Every process this slot ever ran (their logs stay readable for the checker). */
  history: AppProcess[];
  pgProxy: FaultProxy;
  redisProxies: FaultProxy[];
  env: Record<string, string>;
  ready: boolean;
  paused: boolean;
  /** Serialises faults on one slot (a kill never races a pause of the same process). */
  busy: Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Fleet {
  readonly slots: Slot[] = [];
  private rr = 0;
  private polling = false;
  private poller?: Promise<void>;
  /** Called whenever readiness of any slot changes (the recovery clock listens). */
  onReadiness: () => void = () => undefined;

  constructor(
    private readonly db: Database,
    private readonly redis: RedisTopology,
    private readonly appEnv: Record<string, string>,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  async start(count: number, prng: Prng): Promise<void> {
    for (let i = 1; i <= count; i++) {
      const pg = await this.db.connectSlot(prng.fork(`pg-${i}`));
      const rd = await this.redis.connectSlot(prng.fork(`redis-${i}`));
      this.slots.push({
        name: `replica-${i}`,
        history: [],
        pgProxy: pg.proxies[0],
        redisProxies: rd.proxies,
        env: { ...this.appEnv, ...pg.env, ...rd.env },
        ready: false,
        paused: false,
        busy: Promise.resolve(),
      });
    }
    await Promise.all(this.slots.map((s) => this.launch(s)));
    this.polling = true;
    this.poller = this.pollReadiness();
  }

  /** Starts a fresh process in the slot (retried: a replica started during a database restart may give up). */
  async launch(slot: Slot): Promise<void> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= 4; attempt++) {
      try {
        const t = Date.now();
        // Generous: a cold start on a loaded 2-core machine can take tens of seconds.
        const app = await startApp({ env: slot.env, readyTimeoutMs: 180_000 });
        this.log(`${slot.name}: pid ${app.pid} ready in ${Date.now() - t} ms`);
        slot.app = app;
        slot.history.push(app);
        slot.ready = true;
        this.onReadiness();
        return;
      } catch (err) {
        lastError = err;
        this.log(`${slot.name}: start attempt ${attempt} failed: ${whyStartFailed(err)}`);
        await sleep(1_000);
      }
    }
    throw new Error(`${slot.name} could not be started: ${String(lastError).slice(0, 2000)}`);
  }

  /** Runs `fn` when no other fault holds the slot. */
  withSlot<T>(slot: Slot, fn: () => Promise<T>): Promise<T> {
    const run = slot.busy.then(fn, fn);
    slot.busy = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async kill(slot: Slot): Promise<void> {
    const app = slot.app;
    slot.ready = false;
    slot.app = undefined;
    this.onReadiness();
    if (app) await app.kill();
  }

  pause(slot: Slot): AppProcess | undefined {
    const app = slot.app;
    if (!app) return undefined;
    app.child.kill('SIGSTOP');
    slot.paused = true;
    this.onReadiness();
    return app;
  }

  resume(slot: Slot, app: AppProcess): void {
    if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGCONT');
    slot.paused = false;
  }

  /** The next ready slot after the last one used; `avoid` skips a slot that just failed. */
  pick(avoid?: Slot): Slot | undefined {
    const n = this.slots.length;
    for (let i = 0; i < n; i++) {
      const slot = this.slots[this.rr++ % n];
      if (slot.ready && slot.app && slot !== avoid) return slot;
    }
    return avoid?.ready && avoid.app ? avoid : undefined;
  }

  /** A slot failed a request at the connection level: out of rotation until its probe answers. */
  suspect(slot: Slot): void {
    if (slot.ready) {
      slot.ready = false;
      this.onReadiness();
    }
  }

  allReady(): boolean {
    return this.slots.every((s) => s.ready && s.app && !s.paused);
  }

  private async pollReadiness(): Promise<void> {
    while (this.polling) {
      await Promise.all(
        this.slots.map(async (slot) => {
          const app = slot.app;
          let ready = false;
          if (app && !slot.paused) {
            try {
              const res = await fetch(`${app.baseUrl}/health/ready`, { signal: AbortSignal.timeout(1_000) });
              await res.arrayBuffer();
              ready = res.status === 200;
            } catch {
              ready = false;
            }
          }
          if (slot.app === app && ready !== slot.ready) {
            slot.ready = ready;
            this.onReadiness();
          }
        }),
      );
      await sleep(200);
    }
  }

  /** Every log line every process wrote, for the "mailbox" and the throttling fallback intervals. */
  logs(): string[] {
    return this.slots.flatMap((s) => s.history.map((a) => a.output()));
  }

  async stop(): Promise<void> {
    this.polling = false;
    await this.poller;
    await Promise.all(
      this.slots.map(async (s) => {
        // A frozen process must be thawed before it can hear SIGTERM; only our own, still running ones.
        for (const app of s.history)
          if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGCONT');
        if (s.app) await s.app.stop('SIGTERM', 20_000);
        for (const app of s.history) await app.kill();
        s.pgProxy.heal();
        await s.pgProxy.close();
        for (const p of s.redisProxies) await p.close();
      }),
    );
  }
}

/** The harness's first line ("app exited with 1 before ready:") and the app's last word on why. */
export function whyStartFailed(err: unknown): string {
  const lines = String(err)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const last =
    lines
      .slice(1)
      .reverse()
      .find((l) => l.includes('"level":"fatal"') || l.includes('"level":"error"')) ?? lines.at(-1);
  return last && last !== lines[0] ? `${lines[0]} ${last.slice(0, 600)}` : (lines[0] ?? String(err));
}
