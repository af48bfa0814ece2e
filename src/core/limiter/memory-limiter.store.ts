import { type AlgorithmState, decide, initialState } from './algorithms/index.js';
import type { Clock, LimiterStore, StoreDecision, StoreHealth } from './limiter-store.js';
import type { Policy } from './policy.js';

interface Entry {
  readonly state: AlgorithmState;
  /** When the state becomes the same as no state (bucket full again, windows past). */
  expiresAt: number;
}

const MEMORY_UP: StoreHealth = { status: 'up', store: 'memory' };

export interface MemoryLimiterStoreOptions {
  clock?: Clock;
  /** How often one timer reclaims expired keys; 0 disables the timer. */
  sweepIntervalMs?: number;
  /** Keys examined per sweep tick, so that a sweep never blocks the loop for long. */
  sweepBatch?: number;
}

/**
 * In-process limiter state: one Map lookup per decision, no timer per key. An expired entry is
 * the same as no entry, so it is ignored on read; a single unref'd timer walks the Map a slice at
 * a time and deletes expired entries, which bounds memory by the keys active within their reset
 * time.
 */
export class MemoryLimiterStore implements LimiterStore {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly sweepBatch: number;
  private cursor: Iterator<[string, Entry]> | undefined;

  constructor(options: MemoryLimiterStoreOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.sweepBatch = options.sweepBatch ?? 10_000;
    const every = options.sweepIntervalMs ?? 1_000;
    if (every > 0) {
      this.timer = setInterval(() => this.sweep(), every);
      this.timer.unref();
    }
  }

  decide(key: string, policy: Policy, cost: number, consume: boolean): StoreDecision {
    const now = this.clock();
    let entry = this.entries.get(key);
    if (entry !== undefined && entry.expiresAt <= now) {
      this.entries.delete(key);
      entry = undefined;
    }
    const state = entry?.state ?? initialState(policy, now);
    const d = decide(state, policy, now, cost, consume);
    if (consume) {
      if (entry === undefined) this.entries.set(key, { state, expiresAt: now + d.resetMs });
      else entry.expiresAt = now + d.resetMs;
    }
    return {
      allowed: d.allowed,
      remaining: d.remaining,
      retryAfterMs: d.retryAfterMs,
      resetMs: d.resetMs,
      now,
      store: 'memory',
    };
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  /** Deletes expired entries among the next `sweepBatch` keys; returns how many it deleted. */
  sweep(now: number = this.clock()): number {
    let deleted = 0;
    for (let i = 0; i < this.sweepBatch; i++) {
      this.cursor ??= this.entries.entries();
      const next = this.cursor.next();
      if (next.done) {
        this.cursor = undefined;
        break;
      }
      const [key, entry] = next.value;
      if (entry.expiresAt <= now) {
        this.entries.delete(key);
        deleted++;
      }
    }
    return deleted;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Memory always decides. */
  health(): Promise<StoreHealth> {
    return Promise.resolve(MEMORY_UP);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.entries.clear();
    this.cursor = undefined;
  }
}
