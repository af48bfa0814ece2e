import {
  decideTokenBucket,
  fullBucket,
  isBucketFull,
  type LimiterDecision,
  type TokenBucketPolicy,
  type TokenBucketState,
} from './algorithms/token-bucket.js';
import type { Clock, LimiterStore } from './limiter-store.js';

interface Entry {
  state: TokenBucketState;
  policy: TokenBucketPolicy;
}

export interface MemoryLimiterStoreOptions {
  clock?: Clock;
  /** How often one timer reclaims keys whose state has expired; 0 disables the timer. */
  sweepIntervalMs?: number;
}

/**
 * In-process limiter state: one Map lookup per decision, no timer per key. A single unref'd
 * timer drops keys that have refilled completely, whose state equals no state at all, so memory
 * is bounded by the keys active within one refill period.
 */
export class MemoryLimiterStore implements LimiterStore {
  readonly kind = 'memory';
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(options: MemoryLimiterStoreOptions = {}) {
    this.clock = options.clock ?? Date.now;
    const every = options.sweepIntervalMs ?? 60_000;
    if (every > 0) {
      this.timer = setInterval(() => this.sweep(), every);
      this.timer.unref();
    }
  }

  tokenBucket(key: string, policy: TokenBucketPolicy, cost: number, consume: boolean): LimiterDecision {
    const now = this.clock();
    const entry = this.entries.get(key);
    if (entry !== undefined) return decideTokenBucket(entry.state, policy, now, cost, consume);
    const state = fullBucket(policy, now);
    if (consume) this.entries.set(key, { state, policy });
    return decideTokenBucket(state, policy, now, cost, consume);
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every key whose bucket has refilled; returns how many were dropped. */
  sweep(now: number = this.clock()): number {
    let dropped = 0;
    for (const [key, entry] of this.entries) {
      if (isBucketFull(entry.state, entry.policy, now)) {
        this.entries.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  get size(): number {
    return this.entries.size;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.entries.clear();
  }
}
