import type { LimiterDecision, TokenBucketPolicy } from './algorithms/token-bucket.js';

/**
 * Where limiter state lives. The injection token and the interface share a name, as
 * `ThrottlerStorage` does in @nestjs/throttler: `@Inject(LimiterStore) store: LimiterStore`.
 * A store may answer synchronously (memory) or asynchronously (a remote store).
 */
export const LimiterStore = Symbol('LimiterStore');

export interface LimiterStore {
  /** Which store decided, as reported to clients (`memory`, later `redis`). */
  readonly kind: string;
  /** Decides one token-bucket call for `key`; `consume: false` is a peek. */
  tokenBucket(
    key: string,
    policy: TokenBucketPolicy,
    cost: number,
    consume: boolean,
  ): LimiterDecision | Promise<LimiterDecision>;
  /** Drops the state of `key` (for keys whose owner is gone, such as a closed connection). */
  forget(key: string): void;
  /** Releases timers and connections. */
  close(): void | Promise<void>;
}

/** Milliseconds since the epoch, as an integer. Injected so that tests control time. */
export type Clock = () => number;
