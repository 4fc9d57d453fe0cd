/** `auth_events_total{event,outcome}`: one count per auth use case and how it ended. */
import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';

export type AuthEvent = 'signup' | 'verify' | 'signin' | 'refresh' | 'signout' | 'password_forgot' | 'password_reset' | 'password_change';
export type AuthOutcome = 'success' | 'failure' | 'locked' | 'reused' | 'invalid' | 'conflict' | 'weak_password';

@Injectable()
export class AuthMetrics {
  private readonly events: Counter<'event' | 'outcome'>;

  constructor(metrics: MetricsService) {
    this.events = metrics.counter('auth_events_total', 'Authentication events by use case and outcome', ['event', 'outcome']);
  }

  record(event: AuthEvent, outcome: AuthOutcome): void {
    this.events.inc({ event, outcome });
  }
}
