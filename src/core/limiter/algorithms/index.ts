/** Dispatch from a policy to its algorithm, for stores that hold either kind of state. */
import type { Policy } from '../policy.js';
import { decideSlidingWindow, emptyWindow, mergeWindows, type SlidingWindowState } from './sliding-window.js';
import {
  type AlgorithmDecision,
  decideTokenBucket,
  fullBucket,
  mergeTokenBuckets,
  type TokenBucketState,
} from './token-bucket.js';

export type { AlgorithmDecision } from './token-bucket.js';
export type AlgorithmState = TokenBucketState | SlidingWindowState;

/** The state of a key never seen (or expired): a full bucket, or empty windows. */
export function initialState(policy: Policy, now: number): AlgorithmState {
  return policy.algorithm === 'token_bucket' ? fullBucket(policy, now) : emptyWindow();
}

export function decide(
  state: AlgorithmState,
  policy: Policy,
  now: number,
  cost: number,
  consume: boolean,
): AlgorithmDecision {
  return policy.algorithm === 'token_bucket'
    ? decideTokenBucket(state as TokenBucketState, policy, now, cost, consume)
    : decideSlidingWindow(state as SlidingWindowState, policy, now, cost, consume);
}

/** The more restrictive of two views of one key's state (see mergeTokenBuckets, mergeWindows). */
export function mergeStates(mine: AlgorithmState, theirs: AlgorithmState, policy: Policy, now: number): AlgorithmState {
  return policy.algorithm === 'token_bucket'
    ? mergeTokenBuckets(mine as TokenBucketState, theirs as TokenBucketState, policy, now)
    : mergeWindows(mine as SlidingWindowState, theirs as SlidingWindowState, policy, now);
}

/**
 * Counts a call of `cost` allowed elsewhere into `state` at `now`, whether or not the state has
 * room for it (a bucket may go below 0, windows above the limit: a debt later refills pay).
 * Returns whether it had room.
 */
export function spend(state: AlgorithmState, policy: Policy, now: number, cost: number): boolean {
  if (decide(state, policy, now, cost, true).allowed) return true;
  // the decision moved the state to `now` and spent nothing: spend it anyway
  if (policy.algorithm === 'token_bucket') (state as TokenBucketState).tokens -= cost;
  else (state as SlidingWindowState).cur += cost;
  return false;
}

/** Copies `source` into `target`, a state of the same algorithm. */
export function assignState(target: AlgorithmState, source: AlgorithmState): void {
  if ('tokens' in source) {
    (target as TokenBucketState).tokens = source.tokens;
    (target as TokenBucketState).ts = source.ts;
  } else {
    (target as SlidingWindowState).start = source.start;
    (target as SlidingWindowState).cur = source.cur;
    (target as SlidingWindowState).prev = source.prev;
  }
}
