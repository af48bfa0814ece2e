import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
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
    expect(store.decide('a', bucket, 1, true)).toEqual({
      allowed: true,
      remaining: 1,
      retryAfterMs: 0,
      resetMs: 1000,
      now: 0,
      store: 'memory',
    });
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

  it('drops an expired entry when it reads it, even for a peek', () => {
    store.decide('a', bucket, 1, true); // full again at t=1000
    store.decide('w', window, 1, true); // windows past at t=2000
    now = 999;
    expect(store.decide('a', bucket, 1, false)).toMatchObject({ allowed: true, remaining: 1, resetMs: 1 });
    expect(store.size).toBe(2);
    now = 1_000;
    expect(store.decide('a', bucket, 1, false)).toEqual({
      allowed: true,
      remaining: 2,
      retryAfterMs: 0,
      resetMs: 0,
      now: 1_000,
      store: 'memory',
    });
    expect(store.size).toBe(1);
    now = 2_000;
    expect(store.decide('w', window, 2, false)).toMatchObject({ allowed: true, remaining: 2, resetMs: 0 });
    expect(store.size).toBe(0);
  });

  it('starts an expired key afresh when it consumes', () => {
    store.decide('a', bucket, 2, true);
    now = 5_000;
    expect(store.decide('a', bucket, 1, true)).toMatchObject({ allowed: true, remaining: 1, resetMs: 1_000 });
    expect(store.sweep(5_999)).toBe(0);
    expect(store.sweep(6_000)).toBe(1);
  });

  it('moves the expiry of a key it keeps with each consume, and forgets a key on request', () => {
    store.decide('a', bucket, 1, true); // full again at 1000
    now = 500;
    store.decide('a', bucket, 1, true); // 0.5 left: full again at 500 + 1500
    expect(store.sweep(1_999)).toBe(0);
    expect(store.sweep(2_000)).toBe(1);
    store.decide('b', bucket, 1, true);
    store.forget('b');
    expect(store.size).toBe(0);
    expect(store.decide('b', bucket, 2, false)).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('restarts a sweep where the last one stopped and wraps around', () => {
    const small = new MemoryLimiterStore({ clock: () => 0, sweepIntervalMs: 0, sweepBatch: 2 });
    small.decide('1', bucket, 2, true); // expires at 2000
    small.decide('2', bucket, 1, true); // expires at 1000
    small.decide('3', bucket, 1, true); // expires at 1000
    expect(small.sweep(1_000)).toBe(1); // '1' kept, '2' deleted
    expect(small.sweep(1_000)).toBe(1); // '3' deleted; the walk ends
    expect(small.sweep(2_000)).toBe(1); // a new walk from the start: '1'
    expect(small.size).toBe(0);
    expect(small.sweep(2_000)).toBe(0);
    small.close();
  });
});

describe('MemoryLimiterStore sweep timer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sweeps once a second by default, with one unref'd timer", () => {
    vi.useFakeTimers();
    let now = 0;
    const timed = new MemoryLimiterStore({ clock: () => now });
    expect(vi.getTimerCount()).toBe(1);
    timed.decide('a', bucket, 1, true); // expires at 1000
    now = 1_000;
    vi.advanceTimersByTime(999);
    expect(timed.size).toBe(1);
    vi.advanceTimersByTime(1);
    expect(timed.size).toBe(0);
    timed.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sweeps at the interval it is given', () => {
    vi.useFakeTimers();
    let now = 0;
    const timed = new MemoryLimiterStore({ clock: () => now, sweepIntervalMs: 250 });
    timed.decide('a', bucket, 1, true);
    now = 1_000;
    vi.advanceTimersByTime(249);
    expect(timed.size).toBe(1);
    vi.advanceTimersByTime(1);
    expect(timed.size).toBe(0);
    timed.close();
  });

  it('has no timer with an interval of 0', () => {
    vi.useFakeTimers();
    let now = 0;
    const untimed = new MemoryLimiterStore({ clock: () => now, sweepIntervalMs: 0 });
    expect(vi.getTimerCount()).toBe(0);
    untimed.decide('a', bucket, 1, true);
    now = 5_000;
    vi.advanceTimersByTime(5_000);
    expect(untimed.size).toBe(1);
    untimed.close();
  });

  it('stops its timer on close, and forgets every key', () => {
    vi.useFakeTimers();
    let now = 0;
    const timed = new MemoryLimiterStore({ clock: () => now });
    timed.decide('a', bucket, 1, true);
    timed.close();
    expect(timed.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    timed.decide('b', bucket, 1, true); // a store used after close keeps its keys: no sweep runs
    now = 5_000;
    vi.advanceTimersByTime(5_000);
    expect(timed.size).toBe(1);
  });

  it('reads Date.now without a clock', () => {
    vi.useFakeTimers({ now: 1_764_403_200_000 });
    const real = new MemoryLimiterStore({ sweepIntervalMs: 0 });
    expect(real.decide('a', bucket, 1, true)).toMatchObject({ now: 1_764_403_200_000, remaining: 1 });
    real.close();
  });
});

interface Step {
  now: number;
  op: 'check' | 'consume';
  cost: number;
  expect: { allowed: boolean; remaining: number; retryAfterMs: number; resetMs: number };
}
const vectors: { policies: Policy[]; cases: { name: string; policy: string; key: string; steps: Step[] }[] } =
  JSON.parse(readFileSync(new URL('../../../test/vectors/limiter.json', import.meta.url), 'utf8'));

describe('limiter vectors on the memory store', () => {
  let now = 0;
  const store = new MemoryLimiterStore({ clock: () => now, sweepIntervalMs: 0 });
  const policies = new Map(vectors.policies.map((p) => [p.name, p]));

  it.each(vectors.cases)('$name', (c) => {
    const policy = policies.get(c.policy) as Policy;
    for (const [i, step] of c.steps.entries()) {
      now = step.now;
      const d = store.decide(c.key, policy, step.cost, step.op === 'consume');
      expect({ step: i, ...d }).toEqual({ step: i, ...step.expect, now: step.now, store: 'memory' });
    }
  });
});

describe('MemoryLimiterStore: health', () => {
  it('always decides', async () => {
    const store = new MemoryLimiterStore({ sweepIntervalMs: 0 });
    expect(await store.health()).toEqual({ status: 'up', store: 'memory' });
    store.close();
  });
});

describe('MemoryLimiterStore.adopt', () => {
  const bucket = { name: 'b', algorithm: 'token_bucket', scope: ['user'], capacity: 10, refillPerSec: 1 } as const;
  const reply = (tokens: number, now = 0) => ({ state: { tokens, ts: now }, now, resetMs: 1000 });

  it('takes Redis state as it is when nothing was decided here since the call left', () => {
    const store = new MemoryLimiterStore({ clock: () => 0, sweepIntervalMs: 0 });
    store.adopt('k', bucket, reply(7), store.stamp('k'), 1, 1, 1);
    store.adopt('k', bucket, reply(6), store.stamp('k'), 2, 1, 1);
    expect(store.decide('k', bucket, 1, false).remaining).toBe(6);
  });

  it('keeps a state taken from a later call, which holds the earlier one', () => {
    const store = new MemoryLimiterStore({ clock: () => 0, sweepIntervalMs: 0 });
    store.adopt('k', bucket, reply(5), 0, 2, 1, 1);
    store.adopt('k', bucket, reply(6), 0, 1, 1, 1); // the earlier call's answer, come late
    expect(store.decide('k', bucket, 1, false).remaining).toBe(5);
  });

  it('counts the call into the state here when calls were decided here since it left, and each late one too', () => {
    const store = new MemoryLimiterStore({ clock: () => 0, sweepIntervalMs: 0 });
    store.adopt('k', bucket, reply(8), 0, 1, 1, 1);
    const sent = store.stamp('k');
    store.decide('k', bucket, 1, true); // decided here: 7
    store.adopt('k', bucket, reply(6), sent, 3, 1, 1); // a call that left before it: 6 here
    store.adopt('k', bucket, reply(7), sent, 2, 1, 1); // an even earlier one, answered late: 5
    expect(store.decide('k', bucket, 1, false).remaining).toBe(5);
  });
});
