/** The auction metrics of DESIGN.md §6, created once. Never labelled by user or auction id. */
import { Injectable } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';

@Injectable()
export class AuctionMetrics {
  readonly bidsAccepted: Counter<string>;
  readonly bidsRejected: Counter<'reason'>;
  readonly bidLatency: Histogram<string>;
  readonly socketConnections: Counter<string>;
  readonly socketDisconnects: Counter<string>;
  readonly leaguesCreated: Counter<string>;
  readonly participantsJoined: Counter<string>;
  readonly timerTicks: Counter<string>;
  readonly auctionsClosed: Counter<string>;
  /** `errors_total{code}`, shared with the HTTP answers: a refused handshake or a refusing ack is an error answer too. */
  readonly errors: Counter<'code'>;
  /** Set by the gateway once the Socket.IO server exists. */
  connectedSockets: () => number = () => 0;

  constructor(metrics: MetricsService) {
    this.bidsAccepted = metrics.counter('bids_accepted_total', 'Bids accepted (REST and Socket.IO)');
    this.bidsRejected = metrics.counter('bids_rejected_total', 'Bids refused, by stable error code', ['reason']);
    this.bidLatency = metrics.histogram(
      'bid_latency_seconds',
      'From receiving a bid to handing its bid_update to the broadcast',
      [],
      [0.001, 0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.25, 0.5, 1],
    );
    this.socketConnections = metrics.counter('socket_connections_total', 'Socket.IO connections accepted');
    this.socketDisconnects = metrics.counter('socket_disconnects_total', 'Socket.IO connections ended');
    const connected = () => this.connectedSockets();
    metrics.gauge('active_connections', 'Socket.IO connections open on this replica', [], function () {
      this.set(connected());
    });
    this.leaguesCreated = metrics.counter('leagues_created_total', 'Leagues created');
    this.participantsJoined = metrics.counter(
      'participants_joined_total',
      'Participants added to leagues (owners at creation and invitees)',
    );
    this.timerTicks = metrics.counter(
      'timer_ticks_total',
      'timer_tick events emitted by the replica driving the countdown',
    );
    this.auctionsClosed = metrics.counter('auctions_closed_total', 'Auctions closed by this replica');
    this.errors = metrics.errorsTotal;
  }
}
