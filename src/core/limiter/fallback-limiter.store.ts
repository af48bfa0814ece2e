import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
import { DeniedCache } from './denied-cache.js';
import type { Clock, LimiterStore, RemoteLimiterStore, StoreDecision, StoreHealth } from './limiter-store.js';
import type { MemoryLimiterStore } from './memory-limiter.store.js';
import { type Policy, policyLimit } from './policy.js';

export type FailureMode = 'fail-over' | 'fail-open' | 'fail-closed';

export interface FallbackLimiterStoreOptions {
  mode: FailureMode;
  breaker: CircuitBreakerOptions;
  /** Longest local caching of a shared-store denial (0: no cache). */
  denyCacheMs: number;
  clock?: Clock;
  /** Told when the failure mode starts (true) or stops (false) answering. */
  onDegradedChange?: (degraded: boolean) => void;
}

/** Counters for health and metrics. */
export interface FallbackStats {
  primaryDecisions: number;
  fallbackDecisions: number;
  cachedDenials: number;
  primaryFailures: number;
}

/**
 * The shared store (Redis) with a way out: when it errors or is slower than its timeout, the
 * circuit breaker opens and decisions are answered by the failure mode (the in-memory store by
 * default) without trying Redis; after the open period one probe goes to Redis, and decisions
 * return to it when the probe succeeds. Denials from Redis are cached locally (DeniedCache).
 */
export class FallbackLimiterStore implements LimiterStore {
  readonly breaker: CircuitBreaker;
  readonly stats: FallbackStats = { primaryDecisions: 0, fallbackDecisions: 0, cachedDenials: 0, primaryFailures: 0 };
  private readonly denials: DeniedCache;
  private readonly clock: Clock;

  constructor(
    readonly primary: RemoteLimiterStore,
    readonly fallback: MemoryLimiterStore,
    private readonly options: FallbackLimiterStoreOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.breaker = new CircuitBreaker({ clock: this.clock, ...options.breaker });
    this.denials = new DeniedCache(options.denyCacheMs, undefined, this.clock);
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
   * Lets a probe through to the shared store when the breaker's open period is over, so that a
   * server without traffic (only health checks) also returns to it.
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
    if (before !== this.degraded) this.options.onDegradedChange?.(this.degraded);
  }

  async decide(key: string, policy: Policy, cost: number, consume: boolean): Promise<StoreDecision> {
    const cached = this.denials.get(key, cost);
    if (cached !== undefined) {
      this.stats.cachedDenials++;
      return cached;
    }
    if (this.breaker.allow()) {
      try {
        const askedAt = this.clock();
        const decision = await this.primary.decide(key, policy, cost, consume);
        this.settle(true);
        this.stats.primaryDecisions++;
        if (!decision.allowed) this.denials.put(key, cost, decision, askedAt);
        return decision;
      } catch {
        this.stats.primaryFailures++;
        this.settle(false);
      }
    }
    this.stats.fallbackDecisions++;
    return this.failureAnswer(key, policy, cost, consume);
  }

  private failureAnswer(key: string, policy: Policy, cost: number, consume: boolean): StoreDecision {
    switch (this.options.mode) {
      case 'fail-over':
        return this.fallback.decide(key, policy, cost, consume);
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
    await this.primary.close();
    this.fallback.close();
  }
}

function fixed(allowed: boolean, remaining: number, now: number, retryAfterMs = 0): StoreDecision {
  return { allowed, remaining, retryAfterMs, resetMs: 0, now, store: 'none' };
}
