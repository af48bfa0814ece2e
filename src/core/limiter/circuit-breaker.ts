import type { Clock } from './limiter-store.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. */
  failureThreshold: number;
  /**
   * The probe period: an open breaker lets one probe through at the next multiple of `openMs` on
   * the clock (at most `openMs` after it opened).
   */
  openMs: number;
  clock?: Clock;
}

/**
 * Closed: every call goes through; `failureThreshold` failures in a row open it. Open: no call
 * goes through until the clock reaches the next multiple of `openMs`. Then half-open: exactly
 * one probe goes through; its success closes the breaker, its failure opens it again. Probes
 * fall on the same instants in every instance (on one clock), so instances that lost a shared
 * service together find it back together, not up to `openMs` apart. Pure: the clock is injected.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private current: BreakerState = 'closed';
  private readonly clock: Clock;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.clock = options.clock ?? Date.now;
  }

  get state(): BreakerState {
    return this.current;
  }

  /** Whether a call may go to the protected service now (claims the probe when half-open). */
  allow(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open') {
      const { openMs } = this.options;
      if (this.clock() < (Math.floor(this.openedAt / openMs) + 1) * openMs) return false;
      this.current = 'half-open';
      this.probing = false;
    }
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    this.current = 'closed';
  }

  failure(): void {
    this.probing = false;
    if (this.current === 'closed' && ++this.failures < this.options.failureThreshold) return;
    this.current = 'open';
    this.openedAt = this.clock();
    this.failures = 0;
  }
}
