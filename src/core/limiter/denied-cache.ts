import type { Clock, StoreDecision } from './limiter-store.js';

interface Denial {
  readonly decision: StoreDecision;
  readonly cost: number;
  readonly at: number;
  readonly until: number;
}

/**
 * Remembers recent denials from the shared store, so that a key hammered while denied is
 * answered locally instead of with a Redis round trip per request. Exact, not approximate: a
 * denial for `cost` stays a denial for any cost >= `cost` until `retryAfterMs` has passed (other
 * instances can only spend more, never give back), and a denied call changes no state. The
 * `retryAfterMs` counts from when the store decided, which is after the command was sent and
 * before its reply was handled here: an entry lasts `retryAfterMs` from the sending, so it never
 * outlives the denial by the round trip. Entries live at most `maxMs`; the cache holds at most
 * `maxEntries` (oldest dropped first).
 */
export class DeniedCache {
  private readonly denials = new Map<string, Denial>();
  private readonly clock: Clock;

  constructor(
    private readonly maxMs: number,
    private readonly maxEntries = 100_000,
    clock?: Clock,
  ) {
    this.clock = clock ?? Date.now;
  }

  /** A still-valid denial for `key` at `cost`, its times moved on to now; or undefined. */
  get(key: string, cost: number): StoreDecision | undefined {
    const denial = this.denials.get(key);
    if (denial === undefined) return undefined;
    const now = this.clock();
    if (now >= denial.until) {
      this.denials.delete(key);
      return undefined;
    }
    if (cost < denial.cost) return undefined;
    const passed = now - denial.at;
    const d = denial.decision;
    return {
      allowed: false,
      remaining: d.remaining,
      retryAfterMs: Math.max(1, d.retryAfterMs - passed),
      resetMs: Math.max(0, d.resetMs - passed),
      now: d.now + passed,
      store: 'cache',
    };
  }

  /**
   * Records a denial from the shared store.
   * @param askedAt this clock's time when the command that decided was sent
   */
  put(key: string, cost: number, decision: StoreDecision, askedAt: number): void {
    if (this.maxMs <= 0 || decision.allowed) return;
    const at = this.clock();
    if (this.denials.size >= this.maxEntries && !this.denials.has(key)) {
      const oldest = this.denials.keys().next().value as string;
      this.denials.delete(oldest);
    }
    this.denials.set(key, { decision, cost, at, until: askedAt + Math.min(this.maxMs, decision.retryAfterMs) });
  }

  delete(key: string): void {
    this.denials.delete(key);
  }

  get size(): number {
    return this.denials.size;
  }
}
