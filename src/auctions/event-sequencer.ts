/**
 * Per-auction, per-replica delivery order. Events reach a replica from two directions (its own
 * commits, other replicas' commits over Redis pub/sub) and pub/sub neither orders messages from
 * different publishers nor keeps them while a subscriber is disconnected. The sequencer turns
 * that into "every seq exactly once, in order": it delivers seq N+1 only after N, drops what it
 * has already delivered, holds anything after a gap, and reports the gap so the caller can fill
 * it from the auction_events table. Pure (no I/O), so it is unit-tested alone.
 */
export type AuctionEventType = 'bid' | 'closed';

export interface AuctionEvent {
  auctionId: string;
  seq: number;
  type: AuctionEventType;
  payload: Record<string, unknown>;
}

/** Held events beyond this many are dropped; the gap fill reads them from the database instead. */
const MAX_HELD = 2_000;

export class EventSequencer {
  private last: number | undefined;
  private readonly held = new Map<number, AuctionEvent>();

  constructor(private readonly deliver: (event: AuctionEvent) => void) {}

  /** False until a baseline is known; events offered before then are held. */
  get initialized(): boolean {
    return this.last !== undefined;
  }

  /** Highest seq delivered (or covered by the baseline); -1 before initialisation. */
  get lastDelivered(): number {
    return this.last ?? -1;
  }

  /** Events waiting behind a gap (or for the baseline). */
  get heldCount(): number {
    return this.held.size;
  }

  /** The missing range [from, to] blocking held events, when there is one. */
  get gap(): { from: number; to: number } | undefined {
    if (this.last === undefined || this.held.size === 0) return undefined;
    return { from: this.last + 1, to: Math.min(...this.held.keys()) - 1 };
  }

  /** Declares that everything up to `baseline` is already known to the listeners. */
  initialize(baseline: number): void {
    if (this.last !== undefined) return;
    this.last = baseline;
    for (const seq of [...this.held.keys()]) if (seq <= baseline) this.held.delete(seq);
    this.drain();
  }

  /** Accepts an event from any source; duplicates and already-delivered seqs are ignored. */
  offer(event: AuctionEvent): void {
    if (this.last !== undefined && event.seq <= this.last) return;
    if (this.held.has(event.seq)) return;
    if (this.held.size >= MAX_HELD) return;
    this.held.set(event.seq, event);
    this.drain();
  }

  private drain(): void {
    if (this.last === undefined) return;
    for (;;) {
      const next = this.held.get(this.last + 1);
      if (!next) return;
      this.held.delete(next.seq);
      this.last = next.seq;
      this.deliver(next);
    }
  }
}
