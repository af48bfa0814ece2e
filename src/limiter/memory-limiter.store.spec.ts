import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLimiterStore } from './memory-limiter.store.js';

const policy = { capacity: 2, refillPerSec: 1 };

describe('MemoryLimiterStore', () => {
  let now = 0;
  const store = new MemoryLimiterStore({ clock: () => now, sweepIntervalMs: 0 });
  afterEach(() => {
    store.close();
    now = 0;
  });

  it('keeps one bucket per key', () => {
    expect(store.tokenBucket('a', policy, 1, true).remaining).toBe(1);
    expect(store.tokenBucket('a', policy, 1, true).remaining).toBe(0);
    expect(store.tokenBucket('a', policy, 1, true).allowed).toBe(false);
    expect(store.tokenBucket('b', policy, 1, true)).toMatchObject({ allowed: true, remaining: 1 });
    expect(store.size).toBe(2);
  });

  it('stores nothing for a peek at a new key', () => {
    expect(store.tokenBucket('peek', policy, 1, false)).toMatchObject({ allowed: true, remaining: 2, resetMs: 0 });
    expect(store.size).toBe(0);
  });

  it('reads the injected clock for refills', () => {
    store.tokenBucket('a', policy, 2, true);
    now = 999;
    // IEEE doubles, as the contract prescribes: (1 - 0.999) * 1000 = 1.0000000000000009, ceil -> 2
    expect(store.tokenBucket('a', policy, 1, true)).toMatchObject({ allowed: false, retryAfterMs: 2 });
    now = 1_000;
    expect(store.tokenBucket('a', policy, 1, true)).toMatchObject({ allowed: true });
  });

  it('sweeps keys whose bucket refilled, and forgets keys on request', () => {
    store.tokenBucket('slow', policy, 2, true); // empty at t=0, full again at t=2000
    store.tokenBucket('fast', policy, 1, true); // full again at t=1000
    store.tokenBucket('gone', policy, 1, true);
    store.forget('gone');
    expect(store.size).toBe(2);
    expect(store.sweep(1_000)).toBe(1);
    expect(store.size).toBe(1);
    expect(store.sweep(2_000)).toBe(1);
    expect(store.size).toBe(0);
  });
});
