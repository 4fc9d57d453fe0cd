import { Injectable } from '@nestjs/common';

/** How often, at most, the startup probe asks the database again while migrations are pending. */
export const MIGRATIONS_RECHECK_MS = 2_000;

/**
 * What the startup probe needs to know about the schema. While migrations are pending the
 * probe asks the database again (at most every MIGRATIONS_RECHECK_MS, one query at a time): a
 * replica started before `migration:run` passes its startup probe once they are applied, instead
 * of answering 503 until the kubelet restarts it. Once applied, never asked again.
 */
@Injectable()
export class DatabaseState {
  migrationsPending = true;
  private recheck?: () => Promise<boolean>;
  private checkedAt = 0;
  private inFlight?: Promise<boolean>;

  /** Set once connected: how to ask the database whether migrations are still pending. */
  watch(recheck: () => Promise<boolean>, onApplied: () => void): void {
    this.checkedAt = Date.now();
    this.recheck = async () => {
      const pending = await recheck();
      if (!pending) onApplied();
      return pending;
    };
  }

  /** Whether migrations are still pending, asking the database again when it is time to. */
  async pending(now = Date.now()): Promise<boolean> {
    if (!this.migrationsPending || !this.recheck || now - this.checkedAt < MIGRATIONS_RECHECK_MS)
      return this.migrationsPending;
    this.inFlight ??= this.recheck()
      .then(
        (pending) => (this.migrationsPending = pending),
        () => this.migrationsPending, // the database did not answer: unchanged, asked again later
      )
      .finally(() => {
        this.checkedAt = Date.now();
        this.inFlight = undefined;
      });
    return this.inFlight;
  }
}
