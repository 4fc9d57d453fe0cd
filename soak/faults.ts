/**
 * The fault schedule, drawn from the seed before the run starts (the same seed gives the same
 * schedule), and its execution. Faults may overlap (a replica killed while Redis restarts); two
 * faults on one replica slot wait for each other. Each fault records when it was injected, when
 * it was lifted, and how long the system took after the lift until every replica was ready again
 * and a client request had succeeded.
 */
import type { Fleet, Slot } from './fleet';
import type { Prng } from './prng';
import type { Database, FailoverReport, RedisTopology, RedisTopologyKind } from './topology';

export type FaultKind =
  | 'replica-kill'
  | 'replica-pause'
  | 'rolling-restart'
  | 'redis-restart'
  | 'redis-failover'
  | 'postgres-restart'
  | 'network-latency'
  | 'network-drop';

export interface PlannedFault {
  /** ms after the load started */
  atMs: number;
  kind: FaultKind;
  /** `replica-2`, `replica-1->postgres`, `redis`, `postgres`, `all` */
  target: string;
  /** How long the disruption lasts (pause, latency, outage), ms. */
  durationMs: number;
  /** network-latency only */
  latencyMs?: number;
}

export interface FaultRecord extends PlannedFault {
  injectedAt: number;
  liftedAt?: number;
  error?: string;
  /** Not injected: its replica slot (or the dependency) was still busy with an earlier fault. */
  skipped?: string;
  /** redis-failover: who was killed, who took over, and how long the promotion and the rejoin took. */
  failover?: FailoverReport & { rejoinedMs?: number };
}

/**
 * The fault kinds a run draws from, per Redis topology. Standalone: a Redis restart (all counters
 * lost) and network faults on both dependency paths. Sentinel/Cluster: a primary failover, and
 * `redis-restart` restarts one replica node; network faults only on the PostgreSQL path (the
 * Redis path is not proxied there, see soak/topology.ts).
 */
export function faultKindsFor(topology: RedisTopologyKind): FaultKind[] {
  const common: FaultKind[] = [
    'replica-kill',
    'replica-pause',
    'rolling-restart',
    'redis-restart',
    'postgres-restart',
    'network-latency',
    'network-drop',
  ];
  return topology === 'standalone' ? common : [...common, 'redis-failover'];
}

/** A fault that cannot start this long after its planned time is skipped, not queued forever. */
const SKIP_AFTER_MS = 10_000;

export function planFaults(
  prng: Prng,
  seconds: number,
  replicas: number,
  kinds: readonly FaultKind[],
  /** false: the Redis path has no fault proxy (Sentinel/Cluster), so network faults go to PostgreSQL */
  redisProxied = true,
): PlannedFault[] {
  const plan: PlannedFault[] = [];
  const endMs = seconds * 1000 - 8_000; // the last fault starts early enough to be seen recovering
  let at = 5_000;
  let cycle: FaultKind[] = [];
  while (at < endMs && plan.length < 500) {
    if (cycle.length === 0) cycle = prng.shuffle(kinds); // every kind once per cycle, in seeded order
    const kind = cycle.shift()!;
    const replica = `replica-${prng.int(1, replicas)}`;
    // Drawn on every topology, so the rest of a seed's schedule does not depend on the topology.
    const coin = prng.chance(0.5);
    const dependency = coin || !redisProxied ? 'postgres' : 'redis';
    const fault: PlannedFault = { atMs: at, kind, target: replica, durationMs: 0 };
    switch (kind) {
      case 'replica-kill':
        break;
      case 'replica-pause':
        fault.durationMs = prng.int(2_000, 5_000);
        break;
      case 'rolling-restart':
        fault.target = 'all';
        break;
      case 'redis-restart':
      case 'redis-failover':
        fault.target = 'redis';
        fault.durationMs = prng.int(500, 3_000);
        // A failover lasts as long as the promotion takes (recorded), not a drawn time; the draw
        // above still happens so the rest of the schedule is the same as before.
        if (kind === 'redis-failover') fault.durationMs = 0;
        break;
      case 'postgres-restart':
        fault.target = 'postgres';
        fault.durationMs = prng.int(500, 2_000);
        break;
      case 'network-latency':
        fault.target = `${replica}->${dependency}`;
        fault.durationMs = prng.int(3_000, 8_000);
        fault.latencyMs = prng.int(50, 400);
        break;
      case 'network-drop':
        fault.target = `${replica}->${dependency}`;
        fault.durationMs = prng.int(1_000, 4_000);
        break;
    }
    plan.push(fault);
    // Mostly one after another; sometimes the next one starts while this one is still on.
    at += prng.chance(0.25) ? prng.int(1_000, 3_000) : prng.int(6_000, 14_000);
  }
  return plan;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FaultInjector {
  readonly records: FaultRecord[] = [];
  private dependencyLock: Promise<void> = Promise.resolve();
  private rolling = false;

  constructor(
    private readonly fleet: Fleet,
    private readonly db: Database,
    private readonly redis: RedisTopology,
    private readonly log: (line: string) => void,
  ) {}

  /** Runs the plan against the clock; resolves when every fault was injected and lifted. */
  async run(plan: PlannedFault[], t0: number, isRunning: () => boolean): Promise<void> {
    const tasks: Array<Promise<void>> = [];
    for (const fault of plan) {
      const wait = t0 + fault.atMs - Date.now();
      if (wait > 0) await sleep(wait);
      if (!isRunning()) break;
      tasks.push(this.inject(fault, t0 + fault.atMs));
    }
    await Promise.all(tasks);
  }

  private slot(target: string): Slot {
    const name = target.split('->')[0];
    const slot = this.fleet.slots.find((s) => s.name === name);
    if (!slot) throw new Error(`no slot ${name}`);
    return slot;
  }

  private async inject(fault: PlannedFault, plannedAt: number): Promise<void> {
    const rec: FaultRecord = { ...fault, injectedAt: Date.now() };
    const late = () => {
      if (Date.now() - plannedAt <= SKIP_AFTER_MS) return false;
      rec.skipped = `still busy with an earlier fault ${Math.round((Date.now() - plannedAt) / 1000)} s after its planned time`;
      rec.liftedAt = rec.injectedAt = Date.now();
      this.log(`fault ${fault.kind} on ${fault.target} skipped: ${rec.skipped}`);
      return true;
    };
    this.records.push(rec);
    this.log(
      `fault ${fault.kind} on ${fault.target}${fault.durationMs ? ` for ${fault.durationMs} ms` : ''}${fault.latencyMs ? ` (+${fault.latencyMs} ms)` : ''}`,
    );
    try {
      switch (fault.kind) {
        case 'replica-kill': {
          const slot = this.slot(fault.target);
          await this.fleet.withSlot(slot, async () => {
            if (late()) return;
            rec.injectedAt = Date.now();
            await this.fleet.kill(slot);
            rec.liftedAt = Date.now();
            await this.fleet.launch(slot);
          });
          break;
        }
        case 'replica-pause': {
          const slot = this.slot(fault.target);
          await this.fleet.withSlot(slot, async () => {
            if (late()) return;
            rec.injectedAt = Date.now();
            const app = this.fleet.pause(slot);
            await sleep(fault.durationMs);
            if (app) this.fleet.resume(slot, app);
            rec.liftedAt = Date.now();
          });
          break;
        }
        case 'rolling-restart':
          if (this.rolling) {
            rec.skipped = 'a rolling restart is still going on';
            rec.liftedAt = Date.now();
            break;
          }
          this.rolling = true;
          try {
            // One by one, like a Deployment with maxSurge 1 / maxUnavailable 0: the new process is
            // ready before the old one is told to drain and exit.
            for (const slot of this.fleet.slots) {
              await this.fleet.withSlot(slot, async () => {
                const old = slot.app;
                await this.fleet.launch(slot);
                if (old) await old.stop('SIGTERM', 30_000);
              });
            }
          } finally {
            this.rolling = false;
          }
          rec.liftedAt = Date.now();
          break;
        case 'redis-restart':
          await this.exclusive(async () => {
            if (late()) return;
            rec.injectedAt = Date.now();
            await this.redis.restart(fault.durationMs);
            rec.liftedAt = Date.now();
          });
          break;
        case 'redis-failover': {
          const failover = this.redis.failover;
          if (!failover) throw new Error(`redis-failover needs an HA topology, not ${this.redis.kind}`);
          await this.exclusive(async () => {
            if (late()) return;
            rec.injectedAt = Date.now();
            // Lifted at the promotion (the new primary serves); the killed node's rejoin as a
            // replica follows inside the same lock, so no other Redis fault overlaps it.
            await failover((report) => {
              rec.liftedAt = Date.now();
              rec.failover = report;
              this.log(`failover: ${report.killed} killed, ${report.promoted} promoted after ${report.promotedMs} ms`);
            });
            if (rec.failover) rec.failover.rejoinedMs = Date.now() - rec.injectedAt;
            this.log(`failover: ${rec.failover?.killed} back as a replica in sync`);
          });
          break;
        }
        case 'postgres-restart':
          await this.exclusive(async () => {
            if (late()) return;
            rec.injectedAt = Date.now();
            await this.db.restart(fault.durationMs);
            rec.liftedAt = Date.now();
          });
          break;
        case 'network-latency':
        case 'network-drop': {
          const slot = this.slot(fault.target);
          const proxies = fault.target.endsWith('postgres') ? [slot.pgProxy] : slot.redisProxies;
          for (const p of proxies) {
            if (fault.kind === 'network-latency') p.setLatency(fault.latencyMs ?? 100, 20);
            else {
              p.refuseNew();
              p.dropAll();
            }
          }
          await sleep(fault.durationMs);
          for (const p of proxies) p.heal();
          rec.liftedAt = Date.now();
          break;
        }
      }
    } catch (err) {
      rec.error = String(err).slice(0, 500);
      rec.liftedAt ??= Date.now();
      this.log(`fault ${fault.kind} on ${fault.target} failed: ${rec.error}`);
    }
  }

  /** PostgreSQL and Redis restarts never overlap each other's stop/start of the same server. */
  private exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.dependencyLock.then(fn, fn);
    this.dependencyLock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
