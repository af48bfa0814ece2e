import { describe, expect, it } from 'vitest';
import { decideSlidingWindow, emptyWindow, mergeWindows } from './sliding-window.js';

const policy = { limit: 5, windowMs: 1000 };

describe('decideSlidingWindow', () => {
  it('weighs the previous window by its overlap', () => {
    const state = emptyWindow();
    expect(decideSlidingWindow(state, policy, 900, 5, true)).toEqual({
      allowed: true,
      remaining: 0,
      retryAfterMs: 0,
      resetMs: 1100,
    });
    // at 1200 the previous window (5) weighs 80%: 4 + 1 <= 5
    expect(decideSlidingWindow(state, policy, 1199, 1, true)).toMatchObject({ allowed: false, retryAfterMs: 1 });
    expect(decideSlidingWindow(state, policy, 1200, 1, true)).toMatchObject({ allowed: true, remaining: 0 });
    expect(state).toEqual({ start: 1000, cur: 1, prev: 5 });
  });

  it('forgets windows older than the previous one', () => {
    const state = emptyWindow();
    decideSlidingWindow(state, policy, 10, 5, true);
    expect(decideSlidingWindow(state, policy, 2000, 5, true)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('peeks without touching the state', () => {
    const state = { start: 0, cur: 3, prev: 0 };
    expect(decideSlidingWindow(state, policy, 500, 2, false)).toMatchObject({ allowed: true, remaining: 2 });
    expect(state).toEqual({ start: 0, cur: 3, prev: 0 });
  });
});

describe('decideSlidingWindow, edge by edge', () => {
  it('decides at the stored window when the clock is behind it, and keeps that window', () => {
    const state = { start: 1000, cur: 2, prev: 0 };
    // t = 1000, not 500: the current window holds 2, so 3 more fit
    expect(decideSlidingWindow(state, policy, 500, 3, true)).toEqual({
      allowed: true,
      remaining: 0,
      retryAfterMs: 0,
      resetMs: 2_000,
    });
    expect(state).toEqual({ start: 1000, cur: 5, prev: 0 });
  });

  it('counts the remaining after an allowed call with the previous window weighted by its overlap', () => {
    const state = { start: 0, cur: 5, prev: 0 };
    // at 1500: weighted = 5 * 500 = 2500, plus 1000 for the call: 1.5 left of 5
    expect(decideSlidingWindow(state, policy, 1500, 1, true)).toEqual({
      allowed: true,
      remaining: 1,
      retryAfterMs: 0,
      resetMs: 1_500,
    });
    expect(state).toEqual({ start: 1000, cur: 1, prev: 5 });
  });

  it('answers the retry of a call the previous window denies, with calls in the current one', () => {
    const state = { start: 1000, cur: 1, prev: 5 };
    // at 1200: 5 * 800 + 1 * 1000 = 5000, full; retry = W - floor((L - cur - cost) * W / prev) - elapsed
    expect(decideSlidingWindow(state, policy, 1200, 1, true)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 200,
      resetMs: 1_800,
    });
    expect(decideSlidingWindow(state, policy, 1400, 1, false)).toEqual({
      allowed: true,
      remaining: 1,
      retryAfterMs: 0,
      resetMs: 1_600,
    });
  });

  it('answers the retry of a cost equal to the limit, the current window empty', () => {
    const state = { start: 0, cur: 5, prev: 0 };
    // at 1500 the previous window (5) weighs 2.5: the whole limit fits only when it weighs 0
    expect(decideSlidingWindow(state, policy, 1500, 5, true)).toEqual({
      allowed: false,
      remaining: 2,
      retryAfterMs: 500,
      resetMs: 500,
    });
    expect(state).toEqual({ start: 1000, cur: 0, prev: 5 });
  });

  it('answers the retry when the current window alone is full: into the next window', () => {
    const state = { start: 0, cur: 5, prev: 0 };
    // (start + W - t) + W - floor((L - cost) * W / cur) = 800 + 1000 - 800
    expect(decideSlidingWindow(state, policy, 200, 1, true)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 1_000,
      resetMs: 1_800,
    });
    // cost 3: 800 + 1000 - floor(2000 / 5) = 1400
    expect(decideSlidingWindow(state, policy, 200, 3, true)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 1_400,
      resetMs: 1_800,
    });
    const partly = { start: 0, cur: 4, prev: 0 };
    // cost 2 over a current window of 4: 700 + 1000 - floor(3000 / 4) = 950
    expect(decideSlidingWindow(partly, policy, 300, 2, true)).toEqual({
      allowed: false,
      remaining: 1,
      retryAfterMs: 950,
      resetMs: 1_700,
    });
  });

  it('resets when the previous window is past, if only the previous one holds calls', () => {
    const state = { start: 0, cur: 3, prev: 0 };
    expect(decideSlidingWindow(state, policy, 1250, 1, false)).toEqual({
      allowed: true,
      remaining: 2,
      retryAfterMs: 0,
      resetMs: 750,
    });
    expect(decideSlidingWindow(state, policy, 1250, 5, true)).toEqual({
      allowed: false,
      remaining: 2,
      retryAfterMs: 750,
      resetMs: 750,
    });
    expect(decideSlidingWindow(emptyWindow(), policy, 1250, 5, false)).toEqual({
      allowed: true,
      remaining: 5,
      retryAfterMs: 0,
      resetMs: 0,
    });
  });

  it('peeks into a later window without moving the state there', () => {
    const state = { start: 0, cur: 3, prev: 0 };
    expect(decideSlidingWindow(state, policy, 1500, 1, false)).toMatchObject({ allowed: true, remaining: 3 });
    expect(state).toEqual({ start: 0, cur: 3, prev: 0 });
  });

  it('never answers a negative remaining, even over a state above the limit (a lowered limit)', () => {
    const state = { start: 0, cur: 8, prev: 0 };
    expect(decideSlidingWindow(state, policy, 100, 1, false)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 1_400,
      resetMs: 1_900,
    });
  });
});

describe('mergeWindows', () => {
  const policy = { limit: 5, windowMs: 1000 };

  it('keeps the larger count of each window, both moved to the latest window', () => {
    expect(mergeWindows({ start: 1000, cur: 2, prev: 4 }, { start: 1000, cur: 3, prev: 1 }, policy, 1500)).toEqual({
      start: 1000,
      cur: 3,
      prev: 4,
    });
    // one window behind: its current window is the other's previous one
    expect(mergeWindows({ start: 0, cur: 4, prev: 9 }, { start: 1000, cur: 1, prev: 2 }, policy, 1200)).toEqual({
      start: 1000,
      cur: 1,
      prev: 4,
    });
  });

  it('forgets windows older than the previous one, and takes an empty state as no calls', () => {
    expect(mergeWindows({ start: 0, cur: 4, prev: 0 }, emptyWindow(), policy, 2500)).toEqual({
      start: 2000,
      cur: 0,
      prev: 0,
    });
  });

  it('is commutative and idempotent', () => {
    const a = { start: 1000, cur: 2, prev: 4 };
    const b = { start: 2000, cur: 1, prev: 3 };
    const ab = mergeWindows(a, b, policy, 2100);
    expect(mergeWindows(b, a, policy, 2100)).toEqual(ab);
    expect(mergeWindows(ab, b, policy, 2100)).toEqual(ab);
  });
});
