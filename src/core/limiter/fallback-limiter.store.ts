import { randomUUID } from 'node:crypto';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
import { DeniedCache } from './denied-cache.js';
import type {
  Clock,
  LimiterStore,
  RemoteDecision,
  RemoteLimiterStore,
  StoreDecision,
  StoreHealth,
} from './limiter-store.js';
import type { MemoryLimiterStore } from './memory-limiter.store.js';
import { type Policy, policyLimit } from './policy.js';
import type { AlgorithmState } from './algorithms/index.js';

export type FailureMode = 'fail-over' | 'fail-open' | 'fail-closed';

export interface FallbackLimiterStoreOptions {
  mode: FailureMode;
  breaker: CircuitBreakerOptions;
  /** Longest local caching of a shared-store denial (0: no cache). */
  denyCacheMs: number;
  clock?: Clock;
  /** Told when the failure mode starts (true) or stops (false) answering. */
  onDegradedChange?: (degraded: boolean) => void;
  /**
   * fail-over: how often this instance counts itself among the live ones in the shared store
   * (0: never; it then takes the whole of each limit when it fails over). An instance counts for
   * three periods after its last heartbeat.
   */
  heartbeatMs?: number;
  /**
   * fail-over: the shared store's call timeout, the longest a local decision waits for its key's
   * calls already on their way there (default 1 s).
   */
  callTimeoutMs?: number;
}

/** Keys handed back per round trip when the shared store returns. */
const HAND_BACK_BATCH = 1_000;

/** Counters for health and metrics. */
export interface FallbackStats {
  primaryDecisions: number;
  fallbackDecisions: number;
  cachedDenials: number;
  primaryFailures: number;
  /** States handed back to the shared store when it returned (fail-over). */
  handedBack: number;
  /** Calls that timed out whose reply came while their answer waited (fail-over): Redis' answer. */
  lateDecisions: number;
}

/**
 * The shared store (Redis) with a way out: when it errors or is slower than its timeout, the
 * circuit breaker opens and decisions are answered by the failure mode (the in-memory store by
 * default) without trying Redis; at the next multiple of the open period a PING probes Redis, and
 * decisions return to it when the probe succeeds. Denials from Redis are cached locally
 * (DeniedCache).
 *
 * fail-over keeps the limits (docs/LIMITER.md, "Fail-over"): the memory store holds a copy of
 * the exact state Redis returned for every key this instance decided, and goes on from it; with
 * N live instances (counted through Redis while it answers) each call costs N times its cost
 * there, so that the instances share what is left. A key decided here owes Redis a hand-back:
 * its next decision in Redis carries the local state, merged into Redis' (the more restrictive
 * wins), and when Redis returns every key held here is handed back, so that a Redis restarted
 * empty gets back the state it lost. A call that fails waits for its key's calls still on their
 * way to Redis before the fallback decides it (failedOver).
 */
export class FallbackLimiterStore implements LimiterStore {
  readonly breaker: CircuitBreaker;
  readonly stats: FallbackStats = {
    primaryDecisions: 0,
    fallbackDecisions: 0,
    cachedDenials: 0,
    primaryFailures: 0,
    handedBack: 0,
    lateDecisions: 0,
  };
  /** Live instances as last counted through the shared store (this one included). */
  instances = 1;
  private readonly denials: DeniedCache;
  private readonly clock: Clock;
  /** Raised each time decisions leave the shared store: states adopted before it owe a hand-back. */
  private epoch = 1;
  private readonly id = randomUUID();
  private readonly heartbeat: NodeJS.Timeout | undefined;
  /** Calls sent to Redis so far: each one's place in that order (MemoryLimiterStore.adopt). */
  private sent = 0;
  /** Cost of the consuming calls on their way to Redis, by key (see failedOver). */
  private readonly inFlight = new Map<string, number>();
  /** Local decisions waiting for a key's calls on their way to Redis to come back (landing). */
  private readonly waiting = new Map<string, (() => void)[]>();
  private readonly callTimeoutMs: number;
  /** The latest return's hand-back (an earlier one stops at its next batch). */
  handingBack: Promise<void> = Promise.resolve();

  constructor(
    readonly primary: RemoteLimiterStore,
    readonly fallback: MemoryLimiterStore,
    private readonly options: FallbackLimiterStoreOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.breaker = new CircuitBreaker({ clock: this.clock, ...options.breaker });
    this.denials = new DeniedCache(options.denyCacheMs, undefined, this.clock);
    this.callTimeoutMs = options.callTimeoutMs ?? 1_000;
    const every = options.heartbeatMs ?? 0;
    if (options.mode === 'fail-over' && every > 0) {
      this.heartbeat = setInterval(() => void this.countInstances(every * 3), every);
      this.heartbeat.unref();
      void this.countInstances(every * 3);
    }
  }

  /** Counts this instance among the live ones, and learns how many there are (kept on failure). */
  private async countInstances(ttlMs: number): Promise<void> {
    try {
      this.instances = Math.max(1, await this.primary.register(this.id, ttlMs));
    } catch {
      // Redis is down: the last count stands
    }
  }

  /** True while decisions come from the failure mode rather than the shared store. */
  get degraded(): boolean {
    return this.breaker.state !== 'closed';
  }

  /** True when the shared store decides and is connected. */
  get healthy(): boolean {
    return !this.degraded && this.primary.ready;
  }

  /**
   * Probes the shared store with a PING when the open breaker lets one through. Decisions call it
   * while degraded, and so do health checks, so that a server without traffic also returns.
   */
  async probe(): Promise<void> {
    if (!this.degraded || !this.breaker.allow()) return;
    try {
      await this.primary.ping();
      this.settle(true);
    } catch {
      this.settle(false);
    }
  }

  /** Tells the breaker how a call to the shared store went; reports a change of state once. */
  private settle(succeeded: boolean): void {
    const before = this.degraded;
    if (succeeded) this.breaker.success();
    else this.breaker.failure();
    if (before === this.degraded) return;
    if (this.degraded) this.epoch++;
    else if (this.options.mode === 'fail-over') this.handingBack = this.handBackAll();
    this.options.onDegradedChange?.(this.degraded);
  }

  /**
   * Redis is back: every key held here whose state Redis has not seen since it failed is handed
   * back (merged there), a batch at a time, until all are or Redis fails again. Decisions meanwhile
   * hand back their own key's state themselves.
   */
  private async handBackAll(): Promise<void> {
    const epoch = this.epoch;
    const batch: Promise<unknown>[] = [];
    for (const [key, policy, state] of this.fallback.unsynced(epoch)) {
      batch.push(this.handBack(key, policy, state, epoch));
      if (batch.length < HAND_BACK_BATCH) continue;
      await Promise.all(batch.splice(0));
      if (this.degraded || this.epoch !== epoch) return;
    }
    await Promise.all(batch);
  }

  /** One key's state merged into Redis (a zero-cost call), and Redis' answer adopted. */
  private async handBack(key: string, policy: Policy, state: AlgorithmState, epoch: number): Promise<void> {
    const stamp = this.fallback.stamp(key);
    const seq = ++this.sent;
    try {
      const d = await this.primary.decide(key, policy, 0, true, state);
      this.stats.handedBack++;
      this.fallback.adopt(key, policy, d, stamp, seq, epoch, 0);
    } catch {
      // Redis failed again: the key stays owed, and the next return hands it back
    }
  }

  async decide(key: string, policy: Policy, cost: number, consume: boolean): Promise<StoreDecision> {
    const cached = this.denials.get(key, cost);
    if (cached !== undefined) {
      this.stats.cachedDenials++;
      return cached;
    }
    // while degraded, the probe is a PING in the background (probe()), never a decision: a
    // decision sent to Redis while others are answered here could miss their calls
    if (this.degraded) {
      void this.probe();
      return this.answerHere(key, policy, cost, consume);
    }
    if (this.options.mode !== 'fail-over') {
      try {
        return await this.fromRedis(key, policy, cost, consume, undefined);
      } catch {
        return this.answerHere(key, policy, cost, consume);
      }
    }
    // fail-over: what the call leaves with, to keep the copy exact when its answer comes
    const epoch = this.epoch;
    const stamp = this.fallback.stamp(key);
    const seq = ++this.sent;
    const handBack = this.fallback.unsyncedState(key, epoch);
    if (consume) this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + cost);
    let decision: RemoteDecision;
    try {
      decision = await this.fromRedis(key, policy, cost, consume, handBack);
    } catch (err) {
      if (consume) this.landed(key, cost);
      return this.failedOver(key, policy, cost, consume, err, stamp, seq, epoch);
    }
    if (consume) this.landed(key, cost);
    // the copy fail-over goes on from; if calls on this key were decided here meanwhile (the
    // breaker opened while this one was on its way), this one is counted into theirs
    if (consume || handBack !== undefined) {
      this.fallback.adopt(key, policy, decision, stamp, seq, epoch, consume && decision.allowed ? cost : 0);
    }
    return decision;
  }

  /** One decision in Redis; a failure is told to the breaker and thrown. */
  private async fromRedis(
    key: string,
    policy: Policy,
    cost: number,
    consume: boolean,
    handBack: AlgorithmState | undefined,
  ): Promise<RemoteDecision> {
    const askedAt = this.clock();
    let decision: RemoteDecision;
    try {
      decision = await this.primary.decide(key, policy, cost, consume, handBack);
    } catch (err) {
      this.stats.primaryFailures++;
      this.settle(false);
      throw err;
    }
    this.settle(true);
    this.stats.primaryDecisions++;
    if (!decision.allowed) this.denials.put(key, cost, decision, askedAt);
    return decision;
  }

  /**
   * fail-over, after the call failed in Redis (`err`). Calls on this key still on their way to
   * Redis may yet be allowed there: their answers (or timeouts) come within the timeout, and this
   * decision counts them in. Redis replies in order, so if one of them is answered, this call's
   * own reply came before it, late: the call was applied in Redis after all, and Redis' answer is
   * the one given (counted once, here too). Otherwise the fallback decides.
   */
  private async failedOver(
    key: string,
    policy: Policy,
    cost: number,
    consume: boolean,
    err: unknown,
    stamp: number,
    seq: number,
    epoch: number,
  ): Promise<StoreDecision> {
    if (this.inFlight.has(key)) await this.landing(key);
    const applied = isLate(err) ? err.late() : undefined;
    if (applied === undefined) return this.answerHere(key, policy, cost, consume);
    this.stats.lateDecisions++;
    if (consume) this.fallback.adopt(key, policy, applied, stamp, seq, epoch, applied.allowed ? cost : 0);
    return applied;
  }

  /** The failure mode's answer (after waiting for the key's calls on their way to Redis, in fail-over). */
  private async answerHere(key: string, policy: Policy, cost: number, consume: boolean): Promise<StoreDecision> {
    if (this.options.mode === 'fail-over' && this.inFlight.has(key)) await this.landing(key);
    this.stats.fallbackDecisions++;
    return this.failureAnswer(key, policy, cost, consume);
  }

  /**
   * Resolves once the consuming calls on `key` now on their way to Redis have come back or timed
   * out: when none is left on its way, or at the latest one call timeout from now (calls sent
   * later do not hold it back).
   */
  private landing(key: string): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.waiting.get(key) ?? [];
      const done = () => {
        clearTimeout(timer);
        const at = waiters.indexOf(done);
        if (at >= 0) waiters.splice(at, 1);
        if (waiters.length === 0 && this.waiting.get(key) === waiters) this.waiting.delete(key);
        resolve();
      };
      // as withinTimeout: the timer, then the rest of that turn of the loop, where replies are read
      const timer = setTimeout(() => setImmediate(done), this.callTimeoutMs);
      waiters.push(done);
      this.waiting.set(key, waiters);
    });
  }

  /** A consuming call of `cost` on `key` came back from Redis (answered or failed). */
  private landed(key: string, cost: number): void {
    const left = (this.inFlight.get(key) ?? cost) - cost;
    if (left > 0) {
      this.inFlight.set(key, left);
      return;
    }
    this.inFlight.delete(key);
    if (this.waiting.size === 0) return;
    const waiters = this.waiting.get(key);
    if (waiters === undefined) return;
    this.waiting.delete(key);
    for (const done of [...waiters]) done();
  }

  private failureAnswer(key: string, policy: Policy, cost: number, consume: boolean): StoreDecision {
    switch (this.options.mode) {
      case 'fail-over': {
        // this instance's share of what is left: each call costs N times its cost here. Calls on
        // this key sent to Redis after this one waited (answerHere) may yet be allowed there: this
        // one is allowed only if it fits after them too (their answers count them in: adopt)
        const n = this.instances;
        const pending = this.inFlight.get(key) ?? 0;
        const wait = pending > 0 && !this.fallback.decide(key, policy, (cost + pending) * n, false).allowed;
        const d = this.fallback.decide(key, policy, (wait ? cost + pending : cost) * n, consume);
        return this.instances === 1 ? d : { ...d, remaining: Math.floor(d.remaining / this.instances) };
      }
      case 'fail-open':
        return fixed(true, policyLimit(policy) - cost, this.clock());
      case 'fail-closed':
        return fixed(false, 0, this.clock(), this.options.breaker.openMs);
    }
  }

  /**
   * Probes Redis when the breaker lets one through (so that a server with no traffic notices
   * Redis coming back), then: `up` while Redis decides, `degraded` while the in-memory fallback
   * decides (fail-over), `down` while fail-open or fail-closed answers every decision.
   */
  async health(): Promise<StoreHealth> {
    await this.probe();
    if (this.healthy) return { status: 'up', store: 'redis' };
    return this.options.mode === 'fail-over'
      ? { status: 'degraded', store: 'memory' }
      : { status: 'down', store: 'none' };
  }

  whenReady(timeoutMs: number): Promise<boolean> {
    return this.primary.whenReady?.(timeoutMs) ?? Promise.resolve(true);
  }

  forget(key: string): void {
    this.denials.delete(key);
    this.primary.forget(key);
    this.fallback.forget(key);
  }

  async close(): Promise<void> {
    if (this.heartbeat) {
      clearInterval(this.heartbeat);
      if (this.healthy) await this.primary.register(this.id, 0, true).catch(() => {});
    }
    await this.primary.close();
    this.fallback.close();
  }
}

/** An error that may yet tell the decision of the call that failed (RedisTimeoutError). */
function isLate(err: unknown): err is { late(): RemoteDecision | undefined } {
  return typeof (err as { late?: unknown } | undefined)?.late === 'function';
}

function fixed(allowed: boolean, remaining: number, now: number, retryAfterMs = 0): StoreDecision {
  return { allowed, remaining, retryAfterMs, resetMs: 0, now, store: 'none' };
}
