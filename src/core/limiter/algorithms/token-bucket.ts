/**
 * Token bucket, exactly as docs/LIMITER.md defines it. Pure: the caller passes the clock
 * (`now`, integer milliseconds) and owns the state.
 */

export interface TokenBucketPolicy {
  /** Bucket size C: the burst a new or idle key may spend at once. */
  readonly capacity: number;
  /** Refill rate R in tokens per second. */
  readonly refillPerSec: number;
}

/** Stored state of one key: tokens left at time `ts`. A key without state is a full bucket. */
export interface TokenBucketState {
  tokens: number;
  ts: number;
}

/** What an algorithm answers for one call. */
export interface AlgorithmDecision {
  readonly allowed: boolean;
  /** Whole tokens left after the call. */
  readonly remaining: number;
  /** 0 when allowed; otherwise how long until `cost` tokens are available. */
  readonly retryAfterMs: number;
  /** How long until the bucket is full again. */
  readonly resetMs: number;
}

/**
 * Decides one call and, when `consume` is true, updates `state` in place.
 *
 *   t = min(C, tokens + (now - ts) * R / 1000)     (IEEE doubles, in this order)
 *   allowed iff t >= cost; an allowed consume stores t - cost; any consume stores ts = now.
 *
 * A clock that steps back (now < ts) adds no tokens and does not move `ts` back.
 */
export function decideTokenBucket(
  state: TokenBucketState,
  policy: TokenBucketPolicy,
  now: number,
  cost: number,
  consume: boolean,
): AlgorithmDecision {
  const { capacity, refillPerSec } = policy;
  const elapsed = now > state.ts ? now - state.ts : 0;
  const t = Math.min(capacity, state.tokens + (elapsed * refillPerSec) / 1000);
  const allowed = t >= cost;
  const after = consume && allowed ? t - cost : t;
  if (consume) {
    state.tokens = after;
    if (now > state.ts) state.ts = now;
  }
  return {
    allowed,
    remaining: Math.floor(after),
    retryAfterMs: allowed ? 0 : Math.ceil(((cost - t) * 1000) / refillPerSec),
    resetMs: Math.ceil(((capacity - after) * 1000) / refillPerSec),
  };
}

/** The state of a key seen for the first time: a full bucket. */
export function fullBucket(policy: TokenBucketPolicy, now: number): TokenBucketState {
  return { tokens: policy.capacity, ts: now };
}

/**
 * Two views of one key's bucket made one, keeping the more restrictive: the one with fewer
 * tokens once both are refilled to the later of `now` and their times, kept as it is (a copy), so
 * that the next decision refills it in one step, as the reference would, to the last bit.
 * Commutative and idempotent (a tie keeps `mine`, the same state either way), so an instance may
 * hand its state back more than once. The Redis script merges with the same arithmetic.
 */
export function mergeTokenBuckets(
  mine: TokenBucketState,
  theirs: TokenBucketState,
  policy: TokenBucketPolicy,
  now: number,
): TokenBucketState {
  const { capacity, refillPerSec } = policy;
  const at = Math.max(now, mine.ts, theirs.ts);
  const refilled = (s: TokenBucketState) => Math.min(capacity, s.tokens + ((at - s.ts) * refillPerSec) / 1000);
  const kept = refilled(theirs) < refilled(mine) ? theirs : mine;
  return { tokens: kept.tokens, ts: kept.ts };
}
