import { describe, expect, it } from 'vitest';
import { decideSlidingWindow, emptyWindow } from './sliding-window.js';

const policy = { limit: 5, windowMs: 1000 };

describe('decideSlidingWindow', () => {
  it('weighs the previous window by its overlap', () => {
    const state = emptyWindow();
    expect(decideSlidingWindow(state, policy, 900, 5, true)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0, resetMs: 1100 });
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
