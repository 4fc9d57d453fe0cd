import { EventSequencer, type AuctionEvent } from './event-sequencer';

const ev = (seq: number, type: AuctionEvent['type'] = 'bid'): AuctionEvent => ({
  auctionId: 'a',
  seq,
  type,
  payload: { seq },
});

function setup() {
  const delivered: number[] = [];
  const s = new EventSequencer((e) => delivered.push(e.seq));
  return { s, delivered };
}

describe('EventSequencer', () => {
  it('holds everything until the baseline is known, then delivers only what follows it', () => {
    const { s, delivered } = setup();
    s.offer(ev(4));
    s.offer(ev(6));
    s.offer(ev(5));
    expect(delivered).toEqual([]);
    expect(s.initialized).toBe(false);
    s.initialize(4);
    expect(delivered).toEqual([5, 6]);
    expect(s.lastDelivered).toBe(6);
  });

  it('delivers out-of-order arrivals in seq order, each exactly once', () => {
    const { s, delivered } = setup();
    s.initialize(0);
    for (const seq of [2, 1, 1, 3, 2, 5, 4, 5, 3]) s.offer(ev(seq));
    expect(delivered).toEqual([1, 2, 3, 4, 5]);
  });

  it('reports the gap blocking held events and closes it when the fill arrives', () => {
    const { s, delivered } = setup();
    s.initialize(10);
    s.offer(ev(11));
    s.offer(ev(14));
    s.offer(ev(15));
    expect(delivered).toEqual([11]);
    expect(s.gap).toEqual({ from: 12, to: 13 });
    for (const seq of [12, 13, 14]) s.offer(ev(seq));
    expect(delivered).toEqual([11, 12, 13, 14, 15]);
    expect(s.gap).toBeUndefined();
    expect(s.heldCount).toBe(0);
  });

  it('ignores a second baseline', () => {
    const { s, delivered } = setup();
    s.initialize(3);
    s.initialize(0);
    s.offer(ev(2));
    s.offer(ev(4));
    expect(delivered).toEqual([4]);
  });

  it('delivers a random permutation with duplicates as 1..n', () => {
    const { s, delivered } = setup();
    s.initialize(0);
    const seqs = Array.from({ length: 200 }, (_, i) => i + 1);
    const shuffled = [...seqs, ...seqs.slice(0, 50)].sort(() => Math.random() - 0.5);
    for (const seq of shuffled) s.offer(ev(seq));
    expect(delivered).toEqual(seqs);
  });
});
