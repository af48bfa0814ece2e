/** Dispatch from a policy to its algorithm, for stores that hold either kind of state. */
import type { Policy } from '../policy.js';
import { decideSlidingWindow, emptyWindow, type SlidingWindowState } from './sliding-window.js';
import { type AlgorithmDecision, decideTokenBucket, fullBucket, type TokenBucketState } from './token-bucket.js';

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
