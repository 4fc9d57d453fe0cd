/**
 * Highly available Redis fixtures on loopback ports, from Debian's redis-server/redis-sentinel:
 * a 3-primary/3-replica Cluster (`cluster-node-timeout 2000`) and 1 primary + 1 replica +
 * 3 sentinels (`down-after-milliseconds 1000`). Both wait until every replica is in sync, so a
 * killed primary can be replaced (a replica that never synced is not promoted). Each test file
 * that kills a primary starts its own fixture: a failover changes who is primary for everyone.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, redisServerBinary, sleep, waitForExit } from './processes';

interface Node {
  port: number;
  child: ChildProcess;
  pid: number;
  /** How it was started, so a killed node can come back the same way (`restart`). */
  args: string[];
  bin: string;
}

function redisCli(port: number, ...args: string[]): string {
  const res = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 });
  return `${res.stdout ?? ''}${res.stderr ?? ''}`;
}

function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

async function until(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`redis fixture: ${what} not reached within ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function spawnRedis(args: string[], readyText: string, bin = redisServerBinary()): Promise<Node> {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((res, rej) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(readyText)) res();
    });
    child.once('exit', (code) => rej(new Error(`${bin} exited with ${code}: ${out}`)));
  });
  child.stdout!.resume();
  return { port: Number(args[args.indexOf('--port') + 1]), child, pid: child.pid ?? 0, args, bin };
}

async function stopNode(node: Node, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return;
  node.child.kill(signal);
  await waitForExit(node.child, 5_000);
}

/** Starts a stopped node again with its own arguments (its data dir, so a Cluster node keeps nodes.conf). */
async function respawn(byPort: Map<number, Node>, port: number): Promise<void> {
  const old = byPort.get(port)!;
  if (old.child.exitCode === null && old.child.signalCode === null) throw new Error(`redis fixture: node ${port} is still running`);
  byPort.set(port, await spawnRedis(old.args, 'Ready to accept connections', old.bin));
}

const base = (port: number, dir: string) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];

export interface RedisClusterFixture {
  /** REDIS_CLUSTER_NODES value: every node, host:port,... */
  nodes: string;
  ports: number[];
  /** Ports of the nodes that are primaries right now (asked from a live node). */
  primaries(): number[];
  /** The port of the primary that serves `key`'s slot. */
  primaryFor(key: string): number;
  /** SIGKILLs one node (by its PID). */
  kill(port: number): Promise<void>;
  /** Waits until `cluster_state:ok` and a primary other than `oldPort` serves `key`. */
  waitFailover(key: string, oldPort: number, timeoutMs?: number): Promise<number>;
  /**
   * Starts a killed node again (same port, same nodes.conf): it rejoins as a replica of whoever
   * took over its slots. Resolves once it is a replica in sync, so a later kill can be failed over.
   */
  restart(port: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisCluster(): Promise<RedisClusterFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-cluster-'));
  const ports: number[] = [];
  for (let i = 0; i < 6; i++) {
    let p = await freePort();
    // The cluster bus listens on port + 10000: keep both under 65536 and distinct.
    while (p + 10_000 > 65_535 || ports.includes(p)) p = await freePort();
    ports.push(p);
  }
  const nodes = await Promise.all(
    ports.map((port) => {
      const nodeDir = join(dir, String(port));
      spawnSync('mkdir', ['-p', nodeDir]);
      return spawnRedis(
        [
          ...base(port, nodeDir),
          '--cluster-enabled', 'yes',
          '--cluster-config-file', 'nodes.conf',
          '--cluster-node-timeout', '2000',
          // Tests kill a primary right after the replicas synced: let any synced replica win.
          '--cluster-replica-validity-factor', '0',
        ],
        'Ready to accept connections',
      );
    }),
  );
  const byPort = new Map(nodes.map((n) => [n.port, n]));
  const create = spawnSync(
    'redis-cli',
    ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
  const live = () => ports.filter((p) => { const n = byPort.get(p)!; return n.child.exitCode === null && n.child.signalCode === null; });
  await until('cluster_state:ok on every node', 30_000, () => ports.every((p) => field(redisCli(p, 'cluster', 'info'), 'cluster_state') === 'ok'));
  await until('every replica in sync', 30_000, () =>
    ports.every((p) => {
      const info = redisCli(p, 'info', 'replication');
      return field(info, 'role') === 'master' || field(info, 'master_link_status') === 'up';
    }),
  );
  const primaries = () => {
    const [asker] = live();
    return redisCli(asker, 'cluster', 'nodes')
      .split('\n')
      .filter((l) => /\bmaster\b/.test(l) && !/\bfail\b/.test(l))
      .map((l) => Number(/:(\d+)@/.exec(l)![1]));
  };
  const primaryFor = (key: string) => {
    const [asker] = live();
    const slot = Number(redisCli(asker, 'cluster', 'keyslot', key).trim());
    for (const line of redisCli(asker, 'cluster', 'nodes').split('\n')) {
      const parts = line.split(' ');
      if (!/\bmaster\b/.test(parts[2] ?? '') || /\bfail\b/.test(parts[2])) continue;
      for (const r of parts.slice(8)) {
        const [from, to] = r.split('-').map(Number);
        if (slot >= from && slot <= (to ?? from)) return Number(/:(\d+)@/.exec(parts[1])![1]);
      }
    }
    throw new Error(`no primary serves ${key}`);
  };
  return {
    nodes: ports.map((p) => `127.0.0.1:${p}`).join(','),
    ports,
    primaries,
    primaryFor,
    async kill(port) {
      await stopNode(byPort.get(port)!, 'SIGKILL');
    },
    async waitFailover(key, oldPort, timeoutMs = 20_000) {
      let now = oldPort;
      await until('cluster failover', timeoutMs, () => {
        try {
          if (!live().every((p) => field(redisCli(p, 'cluster', 'info'), 'cluster_state') === 'ok')) return false;
          now = primaryFor(key);
          return now !== oldPort;
        } catch {
          return false;
        }
      });
      return now;
    },
    async restart(port, timeoutMs = 30_000) {
      await respawn(byPort, port);
      await until(`node ${port} back as a replica in sync`, timeoutMs, () => {
        const info = redisCli(port, 'info', 'replication');
        return field(info, 'role') === 'slave' && field(info, 'master_link_status') === 'up' && field(redisCli(port, 'cluster', 'info'), 'cluster_state') === 'ok';
      });
    },
    async stop() {
      await Promise.all([...byPort.values()].map((n) => stopNode(n)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisSentinelFixture {
  /** REDIS_SENTINELS value. */
  sentinels: string;
  name: string;
  password?: string;
  /** Ports of the two data nodes (primary and replica, in either role by now). */
  dataPorts: number[];
  /** The port of the primary as the sentinels see it now. */
  primaryPort(): number;
  kill(port: number): Promise<void>;
  /** Waits until the sentinels name a primary other than `oldPort` and it answers as master. */
  waitFailover(oldPort: number, timeoutMs?: number): Promise<number>;
  /**
   * Starts a killed data node again (same port): the sentinels turn a returning old primary into
   * a replica of the new one. Resolves once it is a replica in sync and every sentinel counts it.
   */
  restart(port: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** 1 primary, 1 replica, 3 sentinels; with `password`, Redis and the sentinels require it. */
export async function startRedisSentinel(opts: { name?: string; password?: string } = {}): Promise<RedisSentinelFixture> {
  const name = opts.name ?? 'bulwark';
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-sentinel-'));
  const [pPort, rPort, ...sPorts] = await Promise.all(Array.from({ length: 5 }, () => freePort()));
  const auth = opts.password ? ['--requirepass', opts.password, '--masterauth', opts.password] : [];
  const cli = (port: number, ...args: string[]) => redisCli(port, ...(opts.password ? ['--no-auth-warning', '-a', opts.password] : []), ...args);
  const primary = await spawnRedis([...base(pPort, dir), '--dbfilename', `p${pPort}.rdb`, ...auth], 'Ready to accept connections');
  const replica = await spawnRedis(
    [...base(rPort, dir), '--dbfilename', `r${rPort}.rdb`, '--replicaof', '127.0.0.1', String(pPort), ...auth],
    'Ready to accept connections',
  );
  await until('replica in sync', 20_000, () => field(cli(rPort, 'info', 'replication'), 'master_link_status') === 'up');
  const sentinelBin = spawnSync('sh', ['-c', 'command -v redis-sentinel'], { encoding: 'utf8' }).stdout.trim() || redisServerBinary();
  const sentinels = await Promise.all(
    sPorts.map((port) => {
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${pPort} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          // Sentinels guarded by the same password as the data nodes (as in common charts).
          ...(opts.password ? [`sentinel auth-pass ${name} ${opts.password}`, `requirepass ${opts.password}`] : []),
          '',
        ].join('\n'),
      );
      return spawnRedis([conf, '--sentinel', '--port', String(port)], 'Sentinel ID is', sentinelBin);
    }),
  );
  const all = [primary, replica, ...sentinels];
  const byPort = new Map(all.map((n) => [n.port, n]));
  const primaryPort = () => {
    for (const s of sPorts) {
      const n = byPort.get(s)!;
      if (n.child.exitCode !== null) continue;
      const out = cli(s, 'sentinel', 'get-master-addr-by-name', name).trim().split('\n');
      if (out.length >= 2 && Number(out[1])) return Number(out[1]);
    }
    throw new Error('no sentinel answers');
  };
  // Every sentinel must know the replica and the other sentinels before a failover can happen.
  await until('sentinels see the replica and each other', 20_000, () =>
    sPorts.every((s) => {
      const out = cli(s, 'sentinel', 'master', name);
      const lines = out.split('\n').map((l) => l.trim());
      const get = (k: string) => lines[lines.indexOf(k) + 1];
      return get('num-slaves') === '1' && get('num-other-sentinels') === '2';
    }),
  );
  return {
    sentinels: sPorts.map((p) => `127.0.0.1:${p}`).join(','),
    name,
    password: opts.password,
    dataPorts: [pPort, rPort],
    primaryPort,
    async kill(port) {
      await stopNode(byPort.get(port)!, 'SIGKILL');
    },
    async waitFailover(oldPort, timeoutMs = 20_000) {
      let now = oldPort;
      await until('sentinel failover', timeoutMs, () => {
        try {
          now = primaryPort();
          return now !== oldPort && field(cli(now, 'info', 'replication'), 'role') === 'master';
        } catch {
          return false;
        }
      });
      return now;
    },
    async restart(port, timeoutMs = 30_000) {
      await respawn(byPort, port);
      // The sentinels turn it into a replica a few seconds after they see it again, then it syncs.
      let state = 'not answering';
      await until(`node ${port} back as a replica in sync`, timeoutMs, () => {
        const info = cli(port, 'info', 'replication');
        state = `role ${field(info, 'role')}, primary ${field(info, 'master_port')}, link ${field(info, 'master_link_status')}`;
        if (field(info, 'role') !== 'slave' || field(info, 'master_link_status') !== 'up') return false;
        return sPorts.every((s) => {
          const flags = /^flags\n(.*)$/m.exec(cli(s, 'sentinel', 'replicas', name))?.[1] ?? '';
          state = `in sync, but sentinel ${s} flags it "${flags}"`;
          return flags !== '' && !/s_down|o_down|disconnected/.test(flags);
        });
      }).catch((err: Error) => {
        throw new Error(`${err.message} (last seen: ${state})`);
      });
    },
    async stop() {
      await Promise.all([...byPort.values()].map((n) => stopNode(n)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
