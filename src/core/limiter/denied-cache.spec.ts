import { describe, expect, it } from 'vitest';
import { DeniedCache } from './denied-cache.js';
import type { StoreDecision } from './limiter-store.js';

const denial: StoreDecision = {
  allowed: false,
  remaining: 0,
  retryAfterMs: 300,
  resetMs: 900,
  now: 5_000,
  store: 'redis',
};

describe('DeniedCache', () => {
  it('answers a denial locally until retryAfterMs (capped by maxMs), times moved on', () => {
    let now = 0;
    const cache = new DeniedCache(1_000, 10, () => now);
    cache.put('k', 2, denial, now);
    now = 100;
    expect(cache.get('k', 2)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 200,
      resetMs: 800,
      now: 5_100,
      store: 'cache',
    });
    expect(cache.get('k', 3)).toMatchObject({ allowed: false }); // a larger cost is denied too
    expect(cache.get('k', 1)).toBeUndefined(); // a smaller one may be allowed: ask the store
    now = 300;
    expect(cache.get('k', 2)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps entries no longer than maxMs, ignores allowances, and is bounded', () => {
    let now = 0;
    const cache = new DeniedCache(50, 2, () => now);
    cache.put('a', 1, denial, now);
    cache.put('ok', 1, { ...denial, allowed: true }, now);
    expect(cache.size).toBe(1);
    cache.put('b', 1, denial, now);
    cache.put('c', 1, denial, now); // drops 'a', the oldest
    expect([cache.get('a', 1), cache.get('b', 1)?.store, cache.get('c', 1)?.store]).toEqual([
      undefined,
      'cache',
      'cache',
    ]);
    now = 50;
    expect(cache.get('b', 1)).toBeUndefined();
  });

  it('is off with maxMs 0', () => {
    const cache = new DeniedCache(0);
    cache.put('k', 1, denial, 0);
    expect(cache.get('k', 1)).toBeUndefined();
  });

  it('stores nothing with maxMs 0', () => {
    const cache = new DeniedCache(0, 10, () => 0);
    cache.put('k', 1, denial, 0);
    expect(cache.size).toBe(0);
  });

  it('moves the times on from when the denial was put, not from 0', () => {
    let now = 10_000;
    const cache = new DeniedCache(1_000, 10, () => now);
    cache.put('k', 1, denial, now);
    now = 10_100;
    expect(cache.get('k', 1)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 200,
      resetMs: 800,
      now: 5_100,
      store: 'cache',
    });
    now = 10_299;
    expect(cache.get('k', 1)).toMatchObject({ retryAfterMs: 1, resetMs: 601, now: 5_299 });
    now = 10_300;
    expect(cache.get('k', 1)).toBeUndefined();
  });

  it('lasts retryAfterMs from when the command was sent, so the round trip never lengthens a denial', () => {
    let now = 10_000;
    const cache = new DeniedCache(1_000, 10, () => now);
    cache.put('k', 1, denial, 9_990); // sent at 9 990, its reply handled at 10 000: decided in between
    now = 10_100;
    expect(cache.get('k', 1)).toMatchObject({ retryAfterMs: 200, now: 5_100 }); // times move on from the reply
    now = 10_289;
    expect(cache.get('k', 1)).toMatchObject({ allowed: false, store: 'cache' });
    now = 10_290; // 300 ms after the sending: the store may allow again, so it is asked
    expect(cache.get('k', 1)).toBeUndefined();
  });

  it('forgets a key on request', () => {
    const cache = new DeniedCache(1_000, 10, () => 0);
    cache.put('k', 1, denial, 0);
    cache.put('j', 1, denial, 0);
    cache.delete('k');
    expect(cache.size).toBe(1);
    expect(cache.get('k', 1)).toBeUndefined();
    expect(cache.get('j', 1)).toMatchObject({ store: 'cache' });
  });
});
