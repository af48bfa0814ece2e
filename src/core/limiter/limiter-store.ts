import type { AlgorithmDecision, AlgorithmState } from './algorithms/index.js';
import type { Policy } from './policy.js';

/** Which store answered a decision. `cache`: a Redis denial answered locally; `none`: the
 * fail-open or fail-closed answer while Redis cannot decide. */
export type StoreKind = 'memory' | 'redis' | 'cache' | 'none';

export interface StoreDecision extends AlgorithmDecision {
  /** The decision time, integer milliseconds since the epoch (Redis TIME for the Redis store). */
  readonly now: number;
  readonly store: StoreKind;
}

/** Whether a store can decide now (readiness checks): `up` as configured, `degraded` when the
 * in-memory fallback decides for Redis, `down` when the failure mode answers without deciding. */
export interface StoreHealth {
  readonly status: 'up' | 'degraded' | 'down';
  /** The store that decides now: `none` for the fail-open or fail-closed answer. */
  readonly store: 'memory' | 'redis' | 'none';
}

/**
 * Where limiter state lives. The injection token and the interface share a name, as
 * `ThrottlerStorage` does in @nestjs/throttler: `@Inject(LimiterStore) store: LimiterStore`.
 * A store may answer synchronously (memory) or asynchronously (Redis).
 */
export const LimiterStore = Symbol('LimiterStore');

export interface LimiterStore {
  /** Decides one call for `key` under `policy`; `consume: false` is a peek that changes nothing. */
  decide(key: string, policy: Policy, cost: number, consume: boolean): StoreDecision | Promise<StoreDecision>;
  /** Drops the state of `key` (for keys whose owner is gone, such as a closed connection). */
  forget(key: string): void;
  /** Releases timers and connections. */
  close(): void | Promise<void>;
  /** A remote store: resolves true once connected, false after `timeoutMs`. */
  whenReady?(timeoutMs: number): Promise<boolean>;
  /** Whether it can decide now; a store that lost its backend may probe it first. */
  health(): Promise<StoreHealth>;
}

/** A decision of a remote store, with the key's exact state after it (a copy, the caller's to keep). */
export interface RemoteDecision extends StoreDecision {
  readonly state: AlgorithmState;
}

/** A store in another process (Redis): it can be disconnected, and asked whether it answers. */
export interface RemoteLimiterStore extends LimiterStore {
  /**
   * As LimiterStore.decide; `handBack`, a state of the key decided elsewhere while this store
   * could not answer, is merged first (the more restrictive of the two is kept: mergeStates).
   */
  decide(
    key: string,
    policy: Policy,
    cost: number,
    consume: boolean,
    handBack?: AlgorithmState,
  ): Promise<RemoteDecision>;
  /**
   * Counts this instance (`id`) among the live ones for `ttlMs`, or removes it (`leaving`);
   * resolves the number of live instances.
   */
  register(id: string, ttlMs: number, leaving?: boolean): Promise<number>;
  /** Connected and ready for commands. */
  readonly ready: boolean;
  /** Resolves when the store answers a trivial command; rejects otherwise. */
  ping(): Promise<void>;
  whenReady(timeoutMs: number): Promise<boolean>;
}

/** Milliseconds since the epoch, as an integer. Injected so that tests control time. */
export type Clock = () => number;
