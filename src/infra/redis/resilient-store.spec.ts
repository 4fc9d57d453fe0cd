import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { MemoryStore } from './memory-store';
import { ResilientStore, StoreUnavailableError } from './resilient-store';
import type { SharedStore } from './shared-store';

/** A primary whose behaviour the test switches: answering, failing at once, or hanging. */
function flakyPrimary() {
  const backing = new MemoryStore();
  let mode: 'up' | 'error' | 'hang' = 'up';
  const calls = { count: 0 };
  const wrap =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      calls.count++;
      if (mode === 'error') return Promise.reject(new Error("Stream isn't writeable"));
      if (mode === 'hang') return new Promise<R>(() => undefined);
      return fn(...args);
    };
  const primary: SharedStore = {
    kind: 'redis',
    hitWindow: wrap(backing.hitWindow.bind(backing)),
    hitBlockingWindow: wrap(backing.hitBlockingWindow.bind(backing)),
    windowUsage: wrap(backing.windowUsage.bind(backing)),
    increment: wrap(backing.increment.bind(backing)),
    get: wrap(backing.get.bind(backing)),
    set: wrap(backing.set.bind(backing)),
    setIfAbsent: wrap(backing.setIfAbsent.bind(backing)),
    ttl: wrap(backing.ttl.bind(backing)),
    del: wrap(backing.del.bind(backing)),
    keys: wrap(backing.keys.bind(backing)),
    acquireLease: wrap(backing.acquireLease.bind(backing)),
    releaseLease: wrap(backing.releaseLease.bind(backing)),
    ping: wrap(backing.ping.bind(backing)),
  };
  return { primary, calls, setMode: (m: typeof mode) => (mode = m) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ResilientStore', () => {
  let store: ResilientStore;
  afterEach(() => store?.close());

  it('uses the primary while it answers', async () => {
    const p = flakyPrimary();
    store = new ResilientStore(p.primary, new MemoryStore(), { deadlineMs: 50 });
    await store.set('k', 'v');
    expect(await p.primary.get('k')).toBe('v');
    expect(store.unavailableReason()).toBeUndefined();
  });

  it('falls back at once on an error and stops calling the primary until a probe succeeds', async () => {
    const p = flakyPrimary();
    const changes: boolean[] = [];
    store = new ResilientStore(p.primary, new MemoryStore(), {
      deadlineMs: 50,
      probeIntervalMs: 20,
      failuresBeforeUnavailable: 1,
      onStateChange: (up) => changes.push(up),
    });
    p.setMode('error');
    expect((await store.hitWindow('w', 1, 1000)).allowed).toBe(true);
    expect(store.unavailableReason()).toContain("isn't writeable");
    const before = p.calls.count;
    expect((await store.hitWindow('w', 1, 1000)).allowed).toBe(false); // counted locally
    expect(p.calls.count - before).toBeLessThanOrEqual(1); // at most a probe, not the call itself
    p.setMode('up');
    await sleep(80);
    expect(store.unavailableReason()).toBeUndefined();
    expect((await store.hitWindow('w', 1, 1000)).allowed).toBe(true); // the primary's own window
    expect(changes).toEqual([false, true]);
  });

  it('never waits longer than the deadline for a hanging primary, and stops waiting after 3 misses in a row', async () => {
    const p = flakyPrimary();
    store = new ResilientStore(p.primary, new MemoryStore(), { deadlineMs: 30, probeIntervalMs: 1000 });
    p.setMode('hang');
    for (let i = 1; i <= 3; i++) {
      const started = Date.now();
      expect(await store.increment('c', 1000)).toBe(i); // each missed call is served by the fallback
      expect(Date.now() - started).toBeLessThan(200);
    }
    expect(store.unavailableReason()).toContain('no answer within 30 ms');
    const again = Date.now();
    await store.increment('c', 1000);
    expect(Date.now() - again).toBeLessThan(20); // marked unavailable: straight to the fallback
  });

  it('a single slow answer does not switch the replica to local counting', async () => {
    const p = flakyPrimary();
    store = new ResilientStore(p.primary, new MemoryStore(), { deadlineMs: 30, probeIntervalMs: 1000 });
    p.setMode('hang');
    await store.increment('c', 1000);
    p.setMode('up');
    await store.increment('c', 1000);
    expect(store.unavailableReason()).toBeUndefined();
    expect(await p.primary.get('c')).toBe('1'); // the second call went to the primary
  });

  it('does not blame the primary for event-loop lag: an answer already received wins over the deadline', async () => {
    // An echo server in ANOTHER process, so the answer arrives (as a Redis reply does) while this
    // process is busy, and is read in the I/O phase, after the expired deadline timer.
    const echo = spawn(process.execPath, [
      '-e',
      "const s=require('net').createServer(c=>c.on('data',d=>c.write(d)));s.listen(0,'127.0.0.1',()=>console.log(s.address().port))",
    ]);
    const port = await new Promise<number>((resolve) => echo.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    const client = connect(port, '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    try {
      const p = flakyPrimary();
      store = new ResilientStore(p.primary, new MemoryStore(), { deadlineMs: 20, failuresBeforeUnavailable: 1 });
      const pending = store.run(() => new Promise<string>((resolve) => client.once('data', (d) => resolve(d.toString()))));
      client.write('primary'); // echoed within a millisecond...
      const busyUntil = Date.now() + 80; // ...while this process is busy past the deadline
      while (Date.now() < busyUntil) {
        /* busy */
      }
      expect(await pending).toBe('primary');
      expect(store.unavailableReason()).toBeUndefined();
    } finally {
      client.destroy();
      echo.kill();
    }
  });

  it("policy 'fail' throws StoreUnavailableError instead of falling back; leases always fail fast", async () => {
    const p = flakyPrimary();
    store = new ResilientStore(p.primary, new MemoryStore(), { deadlineMs: 30, probeIntervalMs: 1000, failuresBeforeUnavailable: 1 });
    p.setMode('error');
    await expect(store.run((s) => s.hitWindow('w', 5, 1000), 'fail')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.acquireLease('lease', 'me', 1000)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).rejects.toThrow();
  });

  it('treats a disconnected client as unavailable without calling it', async () => {
    const p = flakyPrimary();
    let connected = false;
    store = new ResilientStore(p.primary, new MemoryStore(), { deadlineMs: 30, isConnected: () => connected });
    await store.set('k', 'local');
    expect(p.calls.count).toBe(0);
    expect(store.unavailableReason()).toBe('redis is not connected');
    connected = true;
    expect(await store.get('k')).toBeNull(); // the primary again
  });

  it('without a primary (single instance) is the fallback and never degraded', async () => {
    store = new ResilientStore(undefined, new MemoryStore(), { deadlineMs: 0 });
    expect(store.kind).toBe('memory');
    expect(await store.setIfAbsent('k', '1')).toBe(true);
    expect(await store.setIfAbsent('k', '2')).toBe(false);
    expect(store.unavailableReason()).toBeUndefined();
  });
});

describe('MemoryStore blocking window', () => {
  it('blocks on the hit over the limit, once, then refuses uncounted until the block ends', async () => {
    let now = 0;
    const m = new MemoryStore(() => now);
    for (let i = 0; i < 3; i++) expect((await m.hitBlockingWindow('w', 'b', 3, 1000, 5000, 'x')).blocked).toBe(false);
    expect(await m.hitBlockingWindow('w', 'b', 3, 1000, 5000, 'x')).toEqual({ blocked: true, blockedNow: true, count: 3, resetMs: 5000 });
    now = 1000;
    expect(await m.hitBlockingWindow('w', 'b', 3, 1000, 5000, 'x')).toEqual({ blocked: true, blockedNow: false, count: 0, resetMs: 4000 });
    now = 5000;
    expect((await m.hitBlockingWindow('w', 'b', 3, 1000, 5000, 'x')).blocked).toBe(false);
  });
});
