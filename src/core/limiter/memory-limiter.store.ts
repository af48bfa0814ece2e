import { type AlgorithmState, assignState, decide, initialState, spend } from './algorithms/index.js';
import type { Clock, LimiterStore, StoreDecision, StoreHealth } from './limiter-store.js';
import type { Policy } from './policy.js';

interface Entry {
  state: AlgorithmState;
  policy: Policy;
  /** When the state becomes the same as no state (bucket full again, windows past). */
  expiresAt: number;
  /**
   * For a fallback store: the owner's mark when the state was adopted from the shared store
   * (`adopt`); 0 once a call was decided here, so the state owes a hand-back.
   */
  mark: number;
  /** Which call decided here last changed the state (0: none): see `stamp`. */
  stamp: number;
  /** The place, in the order calls left for the shared store, of the last call adopted (adopt). */
  seq: number;
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
  /** Calls decided here so far, which stamp the entries they change. */
  private calls = 0;

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
      const stamp = ++this.calls;
      if (entry === undefined)
        this.entries.set(key, { state, policy, expiresAt: now + d.resetMs, mark: 0, stamp, seq: 0 });
      else {
        entry.expiresAt = now + d.resetMs;
        entry.mark = 0;
        entry.stamp = stamp;
      }
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

  /**
   * Which call decided here last changed `key`'s state (0: none): taken when a call leaves for
   * the shared store and given back to `adopt` with its answer.
   */
  stamp(key: string): number {
    return this.entries.get(key)?.stamp ?? 0;
  }

  /**
   * Takes a state the shared store decided, `reply` (its exact state after a call at `now`, full
   * again after `resetMs`), as `key`'s state, marked `mark`: a fallback store keeps a copy of
   * what Redis last answered for each key, to go on from it when Redis fails. `stamp` is the
   * key's stamp here when the call left and `seq` the call's place in the order calls left:
   * - a state taken from a call that left later already holds this one (Redis applies calls in
   *   the order they leave): kept;
   * - if calls were decided here since the call left, Redis' state misses them: the state here
   *   is kept and the call's own cost there (`served`; 0 if it was denied) is counted into it;
   * - otherwise Redis' state is taken as it is.
   */
  adopt(
    key: string,
    policy: Policy,
    reply: { readonly state: AlgorithmState; readonly now: number; readonly resetMs: number },
    stamp: number,
    seq: number,
    mark: number,
    served: number,
  ): void {
    const { state, now, resetMs } = reply;
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.entries.set(key, { state, policy, expiresAt: now + resetMs, mark, stamp: 0, seq });
      return;
    }
    if (entry.seq > seq && entry.expiresAt > now) return;
    if (entry.stamp !== stamp && entry.expiresAt > now) {
      // (the state here does not hold Redis' history up to this call: `seq` stays as it was)
      if (served > 0) spend(entry.state, policy, now, served);
      // (a bucket spent below what it held refills for longer than either state says)
      const refilledBy = now + decide(entry.state, policy, now, 0, false).resetMs;
      entry.expiresAt = Math.max(entry.expiresAt, now + resetMs, refilledBy);
      return;
    }
    // into the entry's own state object: a replaced one, often old enough to have been promoted,
    // would be left to the major collector
    assignState(entry.state, state);
    entry.seq = seq;
    entry.policy = policy;
    entry.expiresAt = now + resetMs;
    entry.mark = mark;
  }

  /** `key`'s live state if its mark is below `mark` (it owes a hand-back), else undefined. */
  unsyncedState(key: string, mark: number): AlgorithmState | undefined {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.mark < mark && entry.expiresAt > this.clock() ? entry.state : undefined;
  }

  /** The live keys whose mark is below `mark`, with their policy and state. */
  *unsynced(mark: number): IterableIterator<[key: string, policy: Policy, state: AlgorithmState]> {
    const now = this.clock();
    for (const [key, entry] of this.entries) {
      if (entry.mark < mark && entry.expiresAt > now) yield [key, entry.policy, entry.state];
    }
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
