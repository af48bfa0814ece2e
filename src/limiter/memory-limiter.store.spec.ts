import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLimiterStore } from './memory-limiter.store.js';
import type { Policy } from './policy.js';

const bucket: Policy = { name: 'b', algorithm: 'token_bucket', scope: ['user'], capacity: 2, refillPerSec: 1 };
const window: Policy = { name: 'w', algorithm: 'sliding_window', scope: ['ip'], limit: 2, windowMs: 1_000 };

describe('MemoryLimiterStore', () => {
  let now = 0;
  const store = new MemoryLimiterStore({ clock: () => now, sweepIntervalMs: 0 });
  afterEach(() => {
    store.close();
    now = 0;
  });

  it('keeps one state per key and reports the decision time and store', () => {
    expect(store.decide('a', bucket, 1, true)).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0, resetMs: 1000, now: 0, store: 'memory' });
    expect(store.decide('a', bucket, 1, true).remaining).toBe(0);
    expect(store.decide('a', bucket, 1, true).allowed).toBe(false);
    expect(store.decide('b', bucket, 1, true)).toMatchObject({ allowed: true, remaining: 1 });
    expect(store.size).toBe(2);
  });

  it('stores nothing for a peek at a new key', () => {
    expect(store.decide('peek', bucket, 1, false)).toMatchObject({ allowed: true, remaining: 2, resetMs: 0 });
    expect(store.decide('peek', window, 1, false)).toMatchObject({ allowed: true, remaining: 2, resetMs: 0 });
    expect(store.size).toBe(0);
  });

  it('reads the injected clock for refills', () => {
    store.decide('a', bucket, 2, true);
    now = 999;
    // IEEE doubles, as the contract prescribes: (1 - 0.999) * 1000 = 1.0000000000000009, ceil -> 2
    expect(store.decide('a', bucket, 1, true)).toMatchObject({ allowed: false, retryAfterMs: 2 });
    now = 1_000;
    expect(store.decide('a', bucket, 1, true)).toMatchObject({ allowed: true });
  });

  it('treats an expired entry as absent and sweeps it, a slice at a time', () => {
    store.decide('slow', bucket, 2, true); // empty at t=0, full again at t=2000
    store.decide('fast', bucket, 1, true); // full again at t=1000
    store.decide('win', window, 1, true); // windows past at t=2000
    store.decide('gone', bucket, 1, true);
    store.forget('gone');
    expect(store.size).toBe(3);
    expect(store.sweep(1_000)).toBe(1);
    expect(store.size).toBe(2);
    expect(store.sweep(2_000)).toBe(2);
    expect(store.size).toBe(0);
  });

  it('sweeps at most sweepBatch keys per call', () => {
    const small = new MemoryLimiterStore({ clock: () => 0, sweepIntervalMs: 0, sweepBatch: 2 });
    for (const key of ['1', '2', '3']) small.decide(key, bucket, 1, true);
    expect(small.sweep(5_000)).toBe(2);
    expect(small.sweep(5_000)).toBe(1);
    small.close();
  });
});
