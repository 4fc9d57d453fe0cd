/**
 * Where components report what they cannot do right now (e.g. "throttling: local fallback"),
 * and where circuit breakers are listed, so /health/check and metrics show one picture.
 */
import { Injectable } from '@nestjs/common';

export type BreakerState = 'closed' | 'halfOpen' | 'open';

export interface BreakerView {
  name: string;
  state: () => BreakerState;
}

@Injectable()
export class DegradationRegistry {
  private readonly features = new Map<string, () => string | undefined>();
  private readonly breakers = new Map<string, BreakerView>();

  /** `probe` returns a reason while the feature is degraded, undefined when it is fine. */
  registerFeature(name: string, probe: () => string | undefined): void {
    this.features.set(name, probe);
  }

  registerBreaker(view: BreakerView): void {
    this.breakers.set(view.name, view);
  }

  degradedFeatures(): Array<{ feature: string; reason: string }> {
    const out: Array<{ feature: string; reason: string }> = [];
    for (const [feature, probe] of this.features) {
      const reason = probe();
      if (reason) out.push({ feature, reason });
    }
    return out;
  }

  breakerStates(): Record<string, BreakerState> {
    const out: Record<string, BreakerState> = {};
    for (const [name, view] of this.breakers) out[name] = view.state();
    return out;
  }
}
