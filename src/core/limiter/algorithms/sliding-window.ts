/**
 * Sliding window (two fixed windows, the previous one weighted by how much of it still
 * overlaps), exactly as docs/LIMITER.md defines it. Pure and all-integer: the caller passes the
 * clock (`now`, integer milliseconds) and owns the state.
 */
import type { AlgorithmDecision } from './token-bucket.js';

export interface SlidingWindowPolicy {
  /** L: what the window allows. */
  readonly limit: number;
  /** W: window length in milliseconds. */
  readonly windowMs: number;
}

/** Counts of the window starting at `start` (cur) and of the one before it (prev). */
export interface SlidingWindowState {
  start: number;
  cur: number;
  prev: number;
}

export function emptyWindow(): SlidingWindowState {
  return { start: 0, cur: 0, prev: 0 };
}

/**
 *   start = floor(now / W) * W, elapsed = now - start
 *   weighted = prev * (W - elapsed) + cur * W; allowed iff weighted + cost * W <= L * W
 *
 * Counts of a window before the previous one are 0. A clock behind the stored window decides
 * at the stored window's start. Every quotient is of integers below 2^50 (policy validation
 * bounds L * W), where Math.floor of the double division is the exact integer floor.
 */
export function decideSlidingWindow(
  state: SlidingWindowState,
  policy: SlidingWindowPolicy,
  now: number,
  cost: number,
  consume: boolean,
): AlgorithmDecision {
  const W = policy.windowMs;
  const L = policy.limit;
  const t = now > state.start ? now : state.start;
  const start = t - (t % W);
  let cur = 0;
  let prev = 0;
  if (state.start === start) {
    cur = state.cur;
    prev = state.prev;
  } else if (state.start === start - W) {
    prev = state.cur;
  }
  const elapsed = t - start;
  const weighted = prev * (W - elapsed) + cur * W;
  const allowed = weighted + cost * W <= L * W;
  if (allowed && consume) cur += cost;
  const after = prev * (W - elapsed) + cur * W;
  let retryAfterMs = 0;
  if (!allowed) {
    retryAfterMs =
      cur + cost <= L
        ? W - Math.floor(((L - cur - cost) * W) / prev) - elapsed
        : start + W - t + W - Math.floor(((L - cost) * W) / cur);
  }
  if (consume) {
    state.start = start;
    state.cur = cur;
    state.prev = prev;
  }
  return {
    allowed,
    remaining: after >= L * W ? 0 : Math.floor((L * W - after) / W),
    retryAfterMs,
    resetMs: cur > 0 ? start + 2 * W - t : prev > 0 ? start + W - t : 0,
  };
}

/**
 * Two views of one key's windows made one, keeping the more restrictive: both moved to the
 * window of the latest of `now` and their starts, then the larger count of each window.
 * Commutative and idempotent; when `theirs` is `mine` with calls counted on top, the result is
 * `theirs`. The Redis script merges with the same arithmetic.
 */
export function mergeWindows(
  mine: SlidingWindowState,
  theirs: SlidingWindowState,
  policy: SlidingWindowPolicy,
  now: number,
): SlidingWindowState {
  const W = policy.windowMs;
  const t = Math.max(now, mine.start, theirs.start);
  const start = t - (t % W);
  const cur = (s: SlidingWindowState) => (s.start === start ? s.cur : 0);
  const prev = (s: SlidingWindowState) => (s.start === start ? s.prev : s.start === start - W ? s.cur : 0);
  return { start, cur: Math.max(cur(mine), cur(theirs)), prev: Math.max(prev(mine), prev(theirs)) };
}
