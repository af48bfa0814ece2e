import { describe, expect, it } from 'vitest';
import { decideTokenBucket, fullBucket, type TokenBucketPolicy, mergeTokenBuckets } from './token-bucket.js';

const chat: TokenBucketPolicy = { capacity: 10, refillPerSec: 10 };

describe('decideTokenBucket', () => {
  it('starts full: a burst of C is allowed, the next call is denied until a token refills', () => {
    const state = fullBucket(chat, 1_000);
    for (let i = 0; i < 10; i++) {
      expect(decideTokenBucket(state, chat, 1_000, 1, true)).toEqual({
        allowed: true,
        remaining: 9 - i,
        retryAfterMs: 0,
        resetMs: (i + 1) * 100,
      });
    }
    expect(decideTokenBucket(state, chat, 1_000, 1, true)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 100,
      resetMs: 1_000,
    });
  });

  it('refills continuously at R per second and answers retryAfterMs for the missing fraction', () => {
    const state = { tokens: 0, ts: 0 };
    expect(decideTokenBucket(state, chat, 50, 1, true)).toMatchObject({
      allowed: false,
      remaining: 0,
      retryAfterMs: 50,
    });
    // the denied call stored tokens = 0.5 at ts = 50
    expect(state).toEqual({ tokens: 0.5, ts: 50 });
    expect(decideTokenBucket(state, chat, 100, 1, true)).toMatchObject({
      allowed: true,
      remaining: 0,
      retryAfterMs: 0,
    });
    expect(state).toEqual({ tokens: 0, ts: 100 });
  });

  it('never holds more than C tokens', () => {
    const state = { tokens: 0, ts: 0 };
    expect(decideTokenBucket(state, chat, 3_600_000, 1, true)).toMatchObject({
      allowed: true,
      remaining: 9,
      resetMs: 100,
    });
  });

  it('charges cost > 1 as a whole: all of it or nothing', () => {
    const state = fullBucket(chat, 0);
    expect(decideTokenBucket(state, chat, 0, 7, true)).toMatchObject({ allowed: true, remaining: 3 });
    expect(decideTokenBucket(state, chat, 0, 4, true)).toMatchObject({
      allowed: false,
      remaining: 3,
      retryAfterMs: 100,
    });
    expect(state.tokens).toBe(3);
  });

  it('peeks without changing the state', () => {
    const state = { tokens: 2, ts: 0 };
    expect(decideTokenBucket(state, chat, 500, 1, false)).toEqual({
      allowed: true,
      remaining: 7,
      retryAfterMs: 0,
      resetMs: 300,
    });
    expect(state).toEqual({ tokens: 2, ts: 0 });
  });

  it('computes with IEEE doubles in the documented order (fractional rates)', () => {
    const policy = { capacity: 3, refillPerSec: 3 };
    const state = { tokens: 0, ts: 0 };
    // t = 0 + 100 * 3 / 1000 = 0.3; retry = ceil((1 - 0.3) * 1000 / 3) = ceil(233.33..) = 234
    expect(decideTokenBucket(state, policy, 100, 1, true)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 234,
      resetMs: Math.ceil(((3 - 0.3) * 1000) / 3),
    });
  });

  it('adds nothing and keeps ts when the clock steps back', () => {
    const state = { tokens: 1, ts: 1_000 };
    expect(decideTokenBucket(state, chat, 400, 1, true)).toMatchObject({ allowed: true, remaining: 0 });
    expect(state).toEqual({ tokens: 0, ts: 1_000 });
  });
});

describe('mergeTokenBuckets', () => {
  const policy = { capacity: 10, refillPerSec: 2 };

  it('keeps the state with fewer tokens once both are refilled to the later time, as it is', () => {
    // mine: 4 at 1000 -> 6 at 2000; theirs: 5 at 2000
    expect(mergeTokenBuckets({ tokens: 4, ts: 1000 }, { tokens: 5, ts: 2000 }, policy, 1500)).toEqual({
      tokens: 5,
      ts: 2000,
    });
    // at 2500: mine 6, theirs 5 + 1 = 6: a tie keeps mine
    expect(mergeTokenBuckets({ tokens: 5, ts: 2000 }, { tokens: 4, ts: 1000 }, policy, 2500)).toEqual({
      tokens: 5,
      ts: 2000,
    });
    expect(mergeTokenBuckets({ tokens: 5, ts: 2000 }, { tokens: 2, ts: 1000 }, policy, 2500)).toEqual({
      tokens: 2,
      ts: 1000,
    });
  });

  it('is the other state, so that the next decision refills it in one step as the reference does', () => {
    const policy3 = { capacity: 10, refillPerSec: 3 };
    const theirs = { tokens: 10, ts: 0 };
    decideTokenBucket(theirs, policy3, 333, 7, true);
    const merged = mergeTokenBuckets({ tokens: 10, ts: 0 }, theirs, policy3, 500);
    expect(merged).toEqual(theirs);
    expect(merged).not.toBe(theirs);
    const reference = { ...theirs };
    expect(decideTokenBucket(merged, policy3, 777, 1, true)).toEqual(
      decideTokenBucket(reference, policy3, 777, 1, true),
    );
    expect(merged).toEqual(reference);
  });

  it('compares at the capacity: a full bucket is no more restrictive for being recent', () => {
    expect(mergeTokenBuckets({ tokens: 9, ts: 0 }, { tokens: 10, ts: 50_000 }, policy, 60_000)).toEqual({
      tokens: 9,
      ts: 0,
    });
  });
});
