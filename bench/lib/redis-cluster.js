'use strict';
/**
 * A 3-primary/3-replica Redis Cluster on loopback ports for the bench's `phasesCluster`
 * (the same layout as the test fixture test/harness/redis-ha.ts, without its failover helpers).
 */
const { spawn, spawnSync } = require('node:child_process');
const { mkdirSync } = require('node:fs');
const { join } = require('node:path');
const { freePort, sleep, tempDir, track } = require('./procs');

const cli = (port, ...args) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 }).stdout || '';

async function startRedisCluster() {
  const dir = tempDir('bulwark-bench-cluster-');
  const ports = [];
  while (ports.length < 6) {
    const p = await freePort();
    if (p + 10_000 <= 65_535 && !ports.includes(p)) ports.push(p);
  }
  const children = await Promise.all(
    ports.map(async (port) => {
      mkdirSync(join(dir, String(port)));
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', join(dir, String(port)), '--save', '', '--appendonly', 'no',
        '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'];
      const child = track(spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'inherit'] }), 'redis-cluster');
      await new Promise((res, rej) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('Ready to accept connections')) res();
        });
        child.once('exit', (c) => rej(new Error(`redis-server (cluster) exited ${c}`)));
      });
      child.stdout.resume();
      return child;
    }),
  );
  const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], { encoding: 'utf8', timeout: 60_000 });
  if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
  const deadline = Date.now() + 30_000;
  const ok = () =>
    ports.every((p) => /cluster_state:ok/.test(cli(p, 'cluster', 'info'))) &&
    ports.every((p) => {
      const info = cli(p, 'info', 'replication');
      return /role:master/.test(info) || /master_link_status:up/.test(info);
    });
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('redis cluster not ready within 30 s');
    await sleep(100);
  }
  return { nodes: ports.map((p) => `127.0.0.1:${p}`).join(','), children };
}

module.exports = { startRedisCluster };
