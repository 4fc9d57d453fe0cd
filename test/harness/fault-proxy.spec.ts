/**
 * The fault proxy itself, against a real loopback echo server: each fault does what failure
 * tests and the soak rely on, and heal() makes it transparent again.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { PgStatementTexts, startFaultProxy, type FaultProxy } from './fault-proxy';

let echo: Server;
let echoPort: number;
let received: Buffer[] = [];
let proxy: FaultProxy;

beforeAll(async () => {
  echo = createServer((s) => {
    s.on('error', () => undefined); // resets are what these tests cause
    s.on('data', (d: Buffer) => {
      received.push(d);
      s.write(d);
    });
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  const addr = echo.address();
  echoPort = typeof addr === 'object' && addr ? addr.port : 0;
});
afterAll(async () => {
  await new Promise<void>((r) => echo.close(() => r()));
});
beforeEach(async () => {
  received = [];
  proxy = await startFaultProxy(echoPort);
});
afterEach(() => proxy.close());

function open(): Promise<Socket> {
  return new Promise((res, rej) => {
    const s = connect({ host: '127.0.0.1', port: proxy.port }, () => {
      s.off('error', rej);
      s.on('error', () => undefined); // resets are what these tests cause; `close` tells them
      res(s);
    });
    s.once('error', rej);
  });
}

function roundTrip(s: Socket, text: string, timeoutMs = 2000): Promise<string> {
  return new Promise((res, rej) => {
    let got = '';
    const timer = setTimeout(() => rej(new Error(`no echo of ${text} within ${timeoutMs} ms (got "${got}")`)), timeoutMs);
    const onData = (d: Buffer) => {
      got += d.toString();
      if (got.length >= text.length) {
        clearTimeout(timer);
        s.off('data', onData);
        res(got);
      }
    };
    s.on('data', onData);
    s.once('close', () => {
      clearTimeout(timer);
      rej(new Error('closed'));
    });
    s.write(text);
  });
}

const closed = (s: Socket) => new Promise<void>((res) => (s.destroyed ? res() : s.once('close', () => res())));

test('forwards both ways and counts connections', async () => {
  const s = await open();
  expect(await roundTrip(s, 'hello')).toBe('hello');
  expect(proxy.connections()).toBe(1);
  expect(proxy.accepted()).toBe(1);
  s.destroy();
});

test('latency delays every chunk without reordering', async () => {
  proxy.setLatency(150, 20);
  const s = await open();
  const t0 = Date.now();
  s.write('a');
  s.write('b');
  expect(await roundTrip(s, 'c')).toBe('abc');
  // Both directions are delayed: at least two hops of 150 ms.
  expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  s.destroy();
});

test('refuseNew resets new connections; heal accepts again', async () => {
  proxy.refuseNew();
  // The TCP handshake may complete before the reset arrives; either way nothing gets through.
  const s = await open().catch(() => undefined);
  if (s) await expect(roundTrip(s, 'lost', 1000)).rejects.toThrow(/closed/);
  expect(received).toHaveLength(0);
  expect(proxy.accepted()).toBe(1);
  proxy.heal();
  const t = await open();
  expect(await roundTrip(t, 'ok')).toBe('ok');
  t.destroy();
});

test('blackhole holds bytes until heal, then delivers them in order', async () => {
  const s = await open();
  proxy.blackhole();
  await expect(roundTrip(s, 'x', 300)).rejects.toThrow(/no echo/);
  expect(received).toHaveLength(0);
  proxy.heal();
  expect(await roundTrip(s, 'y')).toBe('xy');
  s.destroy();
});

test('dropAll resets open connections', async () => {
  const s = await open();
  await roundTrip(s, 'one');
  proxy.dropAll();
  await closed(s);
  expect(proxy.connections()).toBe(0);
});

test('cutWhen before: the matching bytes never reach the server', async () => {
  const s = await open();
  await roundTrip(s, 'BEGIN');
  const fired = proxy.cutWhen('COMMIT', 'before');
  s.write('COMMIT');
  await fired;
  await closed(s);
  expect(Buffer.concat(received).toString()).toBe('BEGIN');
});

test('cutWhen after: the server gets the bytes, the client never sees the answer', async () => {
  const s = await open();
  let answer = '';
  s.on('data', (d: Buffer) => (answer += d.toString()));
  const fired = proxy.cutWhen('COMMIT', 'after');
  s.write('COMMIT');
  await fired;
  await closed(s);
  expect(Buffer.concat(received).toString()).toBe('COMMIT');
  expect(answer).toBe('');
  // The rule fires once: the next connection is untouched.
  const t = await open();
  expect(await roundTrip(t, 'COMMIT')).toBe('COMMIT');
  t.destroy();
});

/** PostgreSQL wire messages as pg sends them. */
const pg = {
  startup(): Buffer {
    const params = Buffer.from('user\0app\0database\0bulwark\0\0');
    const head = Buffer.alloc(8);
    head.writeUInt32BE(8 + params.length, 0);
    head.writeUInt32BE(196_608, 4);
    return Buffer.concat([head, params]);
  },
  message(type: string, ...fields: Array<string | Buffer>): Buffer {
    const body = Buffer.concat(fields.map((f) => (typeof f === 'string' ? Buffer.from(`${f}\0`) : f)));
    const head = Buffer.alloc(5);
    head.write(type, 0);
    head.writeUInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  },
  parse: (name: string, text: string) => pg.message('P', name, text, Buffer.alloc(2)),
  bind: (statement: string) => pg.message('B', '', statement, Buffer.alloc(8)),
  run: () => Buffer.concat([pg.message('D', 'P'), pg.message('E', '', Buffer.alloc(4)), pg.message('S')]),
};

describe('PgStatementTexts: a named statement is seen by its text each time it runs', () => {
  const lock = 'SELECT id FROM auctions WHERE id = $1 FOR NO KEY UPDATE OF a';

  it('finds the text of each Bind of a statement parsed earlier, also when messages are split across chunks', () => {
    const t = new PgStatementTexts();
    expect(t.feed(pg.startup())).toEqual([]);
    // First use: Parse and Bind together (the text is in the chunk itself too).
    expect(t.feed(Buffer.concat([pg.parse('bw_7', lock), pg.bind('bw_7'), pg.run()])).map(String)).toEqual([lock]);
    expect(t.feed(pg.message('Q', 'BEGIN'))).toEqual([]);
    // Later uses: the name only, cut at awkward places.
    const later = Buffer.concat([pg.bind('bw_7'), pg.run(), pg.bind('bw_7'), pg.run()]);
    const seen = [...t.feed(later.subarray(0, 3)), ...t.feed(later.subarray(3, 17)), ...t.feed(later.subarray(17))];
    expect(seen.map(String)).toEqual([lock, lock]);
    // An unnamed statement, and a name never parsed here, bind nothing known.
    expect(t.feed(Buffer.concat([pg.parse('', 'SELECT 1'), pg.bind(''), pg.bind('bw_8'), pg.run()]))).toEqual([]);
  });

  it('stays out of anything that does not start as a plain PostgreSQL session', () => {
    const redis = new PgStatementTexts();
    expect(redis.feed(Buffer.from('*2\r\n$3\r\nGET\r\n$1\r\nk\r\n'))).toEqual([]);
    expect(redis.feed(Buffer.concat([pg.parse('bw_1', lock), pg.bind('bw_1')]))).toEqual([]);
    const tls = new PgStatementTexts();
    const sslRequest = Buffer.alloc(8);
    sslRequest.writeUInt32BE(8, 0);
    sslRequest.writeUInt32BE(80_877_103, 4);
    expect(tls.feed(sslRequest)).toEqual([]);
    expect(tls.feed(Buffer.concat([pg.parse('bw_1', lock), pg.bind('bw_1')]))).toEqual([]);
  });

  it('cutWhen fires on a Bind of a named statement whose text matches', async () => {
    const s = await open();
    s.write(Buffer.concat([pg.startup(), pg.parse('bw_1', lock), pg.bind('bw_1'), pg.run()]));
    await new Promise((r) => setTimeout(r, 50));
    const fired = proxy.cutWhen('FOR NO KEY UPDATE OF a', 'before');
    s.write(Buffer.concat([pg.bind('bw_1'), pg.run()]));
    await fired;
    await closed(s);
  });
});
