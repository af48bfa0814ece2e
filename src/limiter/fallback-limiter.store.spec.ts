import { describe, expect, it } from 'vitest';
import { FallbackLimiterStore, type FailureMode } from './fallback-limiter.store.js';
import type { RemoteLimiterStore, StoreDecision } from './limiter-store.js';
import { MemoryLimiterStore } from './memory-limiter.store.js';
import type { Policy } from './policy.js';

const policy: Policy = { name: 'p', algorithm: 'sliding_window', scope: ['ip'], limit: 2, windowMs: 60_000 };

/** A shared store whose health the test switches; it decides with a real memory store. */
class SwitchableStore implements RemoteLimiterStore {
  healthy = true;
  calls = 0;
  private readonly inner: MemoryLimiterStore;
  constructor(clock: () => number) {
    this.inner = new MemoryLimiterStore({ clock, sweepIntervalMs: 0 });
  }
  async decide(key: string, p: Policy, cost: number, consume: boolean): Promise<StoreDecision> {
    this.calls++;
    if (!this.healthy) throw new Error('unreachable');
    return { ...this.inner.decide(key, p, cost, consume), store: 'redis' };
  }
  get ready(): boolean {
    return this.healthy;
  }
  async ping(): Promise<void> {
    if (!this.healthy) throw new Error('unreachable');
  }
  async whenReady(): Promise<boolean> {
    return this.healthy;
  }
  forget(): void {}
  close(): void {}
}

function setup(mode: FailureMode = 'fail-over', denyCacheMs = 0) {
  let now = 0;
  const clock = () => now;
  const primary = new SwitchableStore(clock);
  const changes: boolean[] = [];
  const store = new FallbackLimiterStore(primary, new MemoryLimiterStore({ clock, sweepIntervalMs: 0 }), {
    mode,
    breaker: { failureThreshold: 2, openMs: 1000 },
    denyCacheMs,
    clock,
    onDegradedChange: (degraded) => changes.push(degraded),
  });
  return { store, primary, changes, advance: (ms: number) => (now += ms) };
}

describe('FallbackLimiterStore', () => {
  it('fails over to memory, skips the primary while the breaker is open, and returns to it', async () => {
    const { store, primary, advance } = setup();
    expect((await store.decide('k', policy, 1, true)).store).toBe('redis');
    primary.healthy = false;
    expect((await store.decide('k', policy, 1, true)).store).toBe('memory');
    expect((await store.decide('k', policy, 1, true)).store).toBe('memory');
    expect(store.degraded).toBe(true);
    const callsWhileOpen = primary.calls;
    await store.decide('k', policy, 1, true);
    expect(primary.calls).toBe(callsWhileOpen); // open: the primary is not tried
    primary.healthy = true;
    advance(1000);
    expect((await store.decide('k2', policy, 1, true)).store).toBe('redis'); // the probe succeeds
    expect(store.degraded).toBe(false);
    expect(store.stats).toMatchObject({ primaryFailures: 2, fallbackDecisions: 3 });
  });

  it('probes the primary on request once the open period is over, without any decision', async () => {
    const { store, primary, advance } = setup();
    primary.healthy = false;
    await store.decide('k', policy, 1, true);
    await store.decide('k', policy, 1, true);
    expect(store.healthy).toBe(false);
    primary.healthy = true;
    await store.probe(); // still open: no probe yet
    expect(store.degraded).toBe(true);
    advance(1000);
    await store.probe();
    expect(store.healthy).toBe(true);
  });

  it('reports each change of state once, however many calls fail together', async () => {
    const { store, primary, changes, advance } = setup();
    primary.healthy = false;
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.decide(`k${i}`, policy, 1, true)));
    expect(changes).toEqual([true]);
    primary.healthy = true;
    advance(1000);
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.decide(`j${i}`, policy, 1, true)));
    await store.decide('again', policy, 1, true);
    expect(changes).toEqual([true, false]);
  });

  it.each([
    ['fail-open', true],
    ['fail-closed', false],
  ] as const)('%s answers allowed=%s from no store', async (mode, allowed) => {
    const { store, primary } = setup(mode);
    primary.healthy = false;
    const d = await store.decide('k', policy, 1, true);
    expect(d).toMatchObject({ allowed, store: 'none' });
    if (!allowed) expect(d.retryAfterMs).toBeGreaterThan(0);
  });

  it('answers repeated denials from the local cache without asking the primary', async () => {
    const { store, primary } = setup('fail-over', 500);
    await store.decide('k', policy, 2, true);
    expect(await store.decide('k', policy, 1, true)).toMatchObject({ allowed: false, store: 'redis' });
    const calls = primary.calls;
    expect(await store.decide('k', policy, 1, true)).toMatchObject({ allowed: false, store: 'cache' });
    expect(primary.calls).toBe(calls);
  });
});
