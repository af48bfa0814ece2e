import { describe, expect, it, vi } from 'vitest';
import { type AlgorithmState, decide, initialState, mergeStates } from './algorithms/index.js';
import { FallbackLimiterStore, type FailureMode } from './fallback-limiter.store.js';
import type { RemoteDecision, RemoteLimiterStore, StoreHealth } from './limiter-store.js';
import { MemoryLimiterStore } from './memory-limiter.store.js';
import type { Policy } from './policy.js';

const policy: Policy = { name: 'p', algorithm: 'sliding_window', scope: ['ip'], limit: 2, windowMs: 60_000 };

/**
 * A shared store whose health the test switches; it decides with the reference algorithms and
 * merges handed-back states as the Redis script does.
 */
class SwitchableStore implements RemoteLimiterStore {
  healthy = true;
  calls = 0;
  /** Keys whose state came back with a decision. */
  handBacks: string[] = [];
  /** What register() answers. */
  instances = 1;
  registrations: [id: string, ttlMs: number, leaving: boolean][] = [];
  readonly states = new Map<string, AlgorithmState>();
  constructor(private readonly clock: () => number) {}
  async decide(
    key: string,
    p: Policy,
    cost: number,
    consume: boolean,
    handBack?: AlgorithmState,
  ): Promise<RemoteDecision> {
    this.calls++;
    if (!this.healthy) throw new Error('unreachable');
    const now = this.clock();
    let state = { ...(this.states.get(key) ?? initialState(p, now)) };
    if (handBack) {
      this.handBacks.push(key);
      state = mergeStates(state, handBack, p, now);
    }
    const d = decide(state, p, now, cost, consume);
    if (consume || handBack) this.states.set(key, state);
    return { ...d, now, store: 'redis', state: { ...state } };
  }
  async register(id: string, ttlMs: number, leaving = false): Promise<number> {
    this.registrations.push([id, ttlMs, leaving]);
    if (!this.healthy) throw new Error('unreachable');
    return this.instances;
  }
  get ready(): boolean {
    return this.healthy;
  }
  async ping(): Promise<void> {
    this.pings++;
    if (!this.healthy) throw new Error('unreachable');
  }
  async health(): Promise<StoreHealth> {
    return { status: this.ready ? 'up' : 'down', store: 'redis' };
  }

  async whenReady(): Promise<boolean> {
    return this.healthy;
  }
  forgotten: string[] = [];
  closed = 0;
  pings = 0;
  forget(key: string): void {
    this.forgotten.push(key);
  }
  async close(): Promise<void> {
    await Promise.resolve();
    this.closed++;
  }
}

function setup(mode: FailureMode = 'fail-over', denyCacheMs = 0, report = true, heartbeatMs = 0) {
  let now = 0;
  const clock = () => now;
  const primary = new SwitchableStore(clock);
  const changes: boolean[] = [];
  const fallback = new MemoryLimiterStore({ clock, sweepIntervalMs: 0 });
  const store = new FallbackLimiterStore(primary, fallback, {
    mode,
    breaker: { failureThreshold: 2, openMs: 1000 },
    denyCacheMs,
    clock,
    heartbeatMs,
    ...(report ? { onDegradedChange: (degraded: boolean) => changes.push(degraded) } : {}),
  });
  return { store, primary, fallback, changes, advance: (ms: number) => (now += ms) };
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
    // the open period is over: this decision is answered here and sends a PING as the probe
    expect((await store.decide('k2', policy, 1, true)).store).toBe('memory');
    expect(primary.pings).toBe(1);
    await store.handingBack;
    expect(store.degraded).toBe(false);
    // the keys decided here went back to the primary, and nothing else did
    expect(primary.handBacks.sort()).toEqual(['k', 'k2']);
    expect(primary.calls).toBe(callsWhileOpen + 2);
    expect((await store.decide('k2', policy, 1, true)).store).toBe('redis');
    expect(store.stats).toMatchObject({ primaryFailures: 2, fallbackDecisions: 4 });
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

  it('counts each kind of decision', async () => {
    const { store, primary, advance } = setup('fail-over', 500);
    await store.decide('k', policy, 2, true);
    await store.decide('k', policy, 1, true); // denied by the primary
    await store.decide('k', policy, 1, true); // denied from the cache
    await store.decide('k', policy, 2, true); // denied from the cache
    expect(store.stats).toEqual({
      primaryDecisions: 2,
      fallbackDecisions: 0,
      cachedDenials: 2,
      primaryFailures: 0,
      handedBack: 0,
      lateDecisions: 0,
    });
    primary.healthy = false;
    await store.decide('j', policy, 1, true);
    await store.decide('j', policy, 1, true);
    await store.decide('j', policy, 1, true); // open: straight to the fallback
    expect(store.stats).toEqual({
      primaryDecisions: 2,
      fallbackDecisions: 3,
      cachedDenials: 2,
      primaryFailures: 2,
      handedBack: 0,
      lateDecisions: 0,
    });
    advance(1000);
    // the cached denial is past, and the fallback goes on from Redis' state: k is spent (the
    // probe, a PING, fails and counts no decision)
    expect(await store.decide('k', policy, 1, true)).toMatchObject({ allowed: false, store: 'memory' });
    expect(primary.pings).toBe(1);
    expect(store.stats).toEqual({
      primaryDecisions: 2,
      fallbackDecisions: 4,
      cachedDenials: 2,
      primaryFailures: 2,
      handedBack: 0,
      lateDecisions: 0,
    });
  });

  it('answers fail-open with the limit less the cost, and fail-closed with the open period', async () => {
    const open = setup('fail-open');
    open.primary.healthy = false;
    open.advance(7);
    expect(await open.store.decide('k', policy, 1, true)).toEqual({
      allowed: true,
      remaining: 1,
      retryAfterMs: 0,
      resetMs: 0,
      now: 7,
      store: 'none',
    });
    expect(await open.store.decide('k', policy, 2, true)).toEqual({
      allowed: true,
      remaining: 0,
      retryAfterMs: 0,
      resetMs: 0,
      now: 7,
      store: 'none',
    });
    const closed = setup('fail-closed');
    closed.primary.healthy = false;
    closed.advance(9);
    expect(await closed.store.decide('k', policy, 1, true)).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 1000,
      resetMs: 0,
      now: 9,
      store: 'none',
    });
    expect(closed.fallback.size).toBe(0);
  });

  it('is unhealthy while the primary is not connected, even with the breaker closed', () => {
    const { store, primary } = setup();
    expect(store.healthy).toBe(true);
    primary.healthy = false;
    expect(store.degraded).toBe(false);
    expect(store.healthy).toBe(false);
  });

  it('probes only when degraded and the open period is over; a failed probe keeps it open', async () => {
    const { store, primary, changes, advance } = setup();
    await store.probe();
    expect(primary.pings).toBe(0); // not degraded: nothing to probe
    primary.healthy = false;
    await store.decide('k', policy, 1, true);
    await store.decide('k', policy, 1, true);
    advance(1000);
    await store.probe();
    expect(primary.pings).toBe(1);
    expect(store.degraded).toBe(true);
    expect(store.breaker.state).toBe('open');
    expect(changes).toEqual([true]);
    primary.healthy = true;
    advance(999);
    await store.probe(); // open again for a full period
    expect(primary.pings).toBe(1);
    advance(1);
    await store.probe();
    expect(primary.pings).toBe(2);
    expect(store.degraded).toBe(false);
    expect(changes).toEqual([true, false]);
  });

  it('works without a listener for changes of state', async () => {
    const { store, primary, advance } = setup('fail-over', 0, false);
    primary.healthy = false;
    expect(await store.decide('k', policy, 1, true)).toMatchObject({ store: 'memory' });
    expect(await store.decide('k', policy, 1, true)).toMatchObject({ store: 'memory' });
    expect(store.degraded).toBe(true);
    primary.healthy = true;
    advance(1000);
    await store.probe();
    expect(store.degraded).toBe(false);
  });

  it('asks the primary whether it is ready, and takes a primary without that question as ready', async () => {
    const { store, primary } = setup();
    expect(await store.whenReady(10)).toBe(true);
    primary.healthy = false;
    expect(await store.whenReady(10)).toBe(false);
    const bare = new SwitchableStore(() => 0);
    (bare as { whenReady?: unknown }).whenReady = undefined;
    bare.healthy = false;
    const noQuestion = new FallbackLimiterStore(bare, new MemoryLimiterStore({ sweepIntervalMs: 0 }), {
      mode: 'fail-over',
      breaker: { failureThreshold: 1, openMs: 10 },
      denyCacheMs: 0,
    });
    expect(await noQuestion.whenReady(10)).toBe(true);
  });

  it('forgets a key everywhere: cached denial, primary and fallback', async () => {
    const { store, primary, fallback } = setup('fail-over', 500);
    await store.decide('k', policy, 2, true);
    await store.decide('k', policy, 1, true); // a denial, now cached
    expect(await store.decide('k', policy, 1, true)).toMatchObject({ store: 'cache' });
    fallback.decide('k', policy, 1, true);
    store.forget('k');
    expect(primary.forgotten).toEqual(['k']);
    expect(fallback.size).toBe(0);
    expect(await store.decide('k', policy, 1, true)).toMatchObject({ allowed: false, store: 'redis' });
  });

  it('closes the primary and the fallback', async () => {
    const { store, primary, fallback } = setup();
    fallback.decide('k', policy, 1, true);
    await store.close();
    expect(primary.closed).toBe(1);
    expect(fallback.size).toBe(0);
  });
});

describe('FallbackLimiterStore: health', () => {
  it.each([
    ['fail-over', { status: 'degraded', store: 'memory' }],
    ['fail-open', { status: 'down', store: 'none' }],
    ['fail-closed', { status: 'down', store: 'none' }],
  ] as const)('is up on Redis, %s while it fails, and probes its way back', async (mode, failing) => {
    const { store, primary, advance } = setup(mode);
    expect(await store.health()).toEqual({ status: 'up', store: 'redis' });
    primary.healthy = false;
    for (let i = 0; i < 2; i++) await store.decide('k', policy, 1, true); // the breaker opens
    expect(await store.health()).toEqual(failing);
    primary.healthy = true;
    expect(await store.health()).toEqual(failing); // the breaker is still open: no probe yet
    expect(primary.pings).toBe(0);
    advance(1000);
    expect(await store.health()).toEqual({ status: 'up', store: 'redis' }); // the probe closed it
    expect(primary.pings).toBe(1);
  });
});

describe('FallbackLimiterStore: fail-over keeps the limits', () => {
  const bucket: Policy = { name: 'b', algorithm: 'token_bucket', scope: ['user'], capacity: 4, refillPerSec: 1 };

  /** Decides `n` calls of cost 1 on `key`, returning which were allowed. */
  const calls = async (store: FallbackLimiterStore, key: string, p: Policy, n: number) => {
    const out: boolean[] = [];
    for (let i = 0; i < n; i++) out.push((await store.decide(key, p, 1, true)).allowed);
    return out;
  };

  it('goes on from the state Redis last returned, not from a full bucket', async () => {
    const { store, primary } = setup();
    expect(await calls(store, 'k', bucket, 3)).toEqual([true, true, true]);
    primary.healthy = false;
    // one token is left: the fallback allows one call, not four
    expect(await calls(store, 'k', bucket, 3)).toEqual([true, false, false]);
    expect(store.stats.fallbackDecisions).toBe(3);
  });

  it('hands the calls it decided back to Redis with the next decision, which Redis merges', async () => {
    const { store, primary, advance } = setup();
    await calls(store, 'k', bucket, 1);
    primary.healthy = false;
    await calls(store, 'k', bucket, 4); // 3 allowed here, then 2 failures opened the breaker
    primary.healthy = true;
    advance(1000); // one token back
    await store.probe();
    expect(await store.decide('k', bucket, 1, true)).toMatchObject({ allowed: true, remaining: 0, store: 'redis' });
    expect(primary.handBacks[0]).toBe('k');
    expect(await store.decide('k', bucket, 1, true)).toMatchObject({ allowed: false, store: 'redis' });
  });

  it('hands every key back when Redis returns, so a Redis restarted empty gets its state back', async () => {
    const { store, primary, advance } = setup();
    await calls(store, 'spent-before', bucket, 4);
    primary.healthy = false;
    await calls(store, 'spent-during', bucket, 4);
    primary.states.clear(); // Redis restarted with nothing
    primary.healthy = true;
    advance(1000);
    await store.probe();
    await store.handingBack;
    expect(primary.handBacks.sort()).toEqual(['spent-before', 'spent-during']);
    expect(store.stats.handedBack).toBe(2);
    // 1 s later each bucket holds one token, in Redis
    expect(await calls(store, 'spent-before', bucket, 2)).toEqual([true, false]);
    expect(await calls(store, 'spent-during', bucket, 2)).toEqual([true, false]);
    // the next return owes nothing more
    expect(primary.handBacks).toHaveLength(2);
  });

  it('keeps the more restrictive state when Redis counted more than the fallback (a call that timed out there)', async () => {
    const { store, primary, advance } = setup();
    primary.healthy = false;
    await calls(store, 'k', bucket, 2); // 2 tokens spent here
    // meanwhile Redis applied 3 calls whose replies never came
    primary.states.set('k', { tokens: 1, ts: 0 });
    primary.healthy = true;
    advance(1000);
    await store.probe();
    await store.handingBack;
    expect(primary.states.get('k')).toEqual({ tokens: 2, ts: 1000 });
  });

  it('with N live instances, takes 1/N of what is left: each call costs N in the fallback', async () => {
    vi.useFakeTimers();
    try {
      const { store, primary } = setup('fail-over', 0, true, 1000);
      primary.instances = 2;
      await vi.advanceTimersByTimeAsync(1000); // the next heartbeat
      expect(store.instances).toBe(2);
      primary.healthy = false;
      expect(await calls(store, 'k', bucket, 3)).toEqual([true, true, false]);
      // a peek at a fresh key: 4 tokens at cost 2 a call, so this instance has 2 calls left
      expect(await store.decide('j', bucket, 1, false)).toMatchObject({ allowed: true, remaining: 2 });
      await store.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('counts itself through Redis on a timer, keeps the last count while Redis fails, and leaves on close', async () => {
    vi.useFakeTimers();
    try {
      const { store, primary } = setup('fail-over', 0, true, 1000);
      primary.instances = 3;
      await vi.advanceTimersByTimeAsync(1000);
      expect(store.instances).toBe(3);
      expect(primary.registrations.at(-1)).toEqual([expect.any(String), 3000, false]);
      primary.healthy = false;
      primary.instances = 1;
      await vi.advanceTimersByTimeAsync(1000);
      expect(store.instances).toBe(3);
      primary.healthy = true;
      await vi.advanceTimersByTimeAsync(1000);
      expect(store.instances).toBe(1);
      await store.close();
      expect(primary.registrations.at(-1)).toEqual([primary.registrations[0]?.[0], 0, true]);
      const count = primary.registrations.length;
      await vi.advanceTimersByTimeAsync(5000);
      expect(primary.registrations).toHaveLength(count);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('FallbackLimiterStore: calls on their way', () => {
  const bucket: Policy = { name: 'b', algorithm: 'token_bucket', scope: ['user'], capacity: 2, refillPerSec: 1 };

  /** A primary whose calls the test answers or times out, one by one, in the order they left. */
  class ManualStore extends SwitchableStore {
    readonly pending: { settle: (answer: 'reply' | 'timeout' | 'late') => void; late?: () => void }[] = [];
    override decide(key: string, p: Policy, cost: number, consume: boolean, handBack?: AlgorithmState) {
      if (!this.healthy) return super.decide(key, p, cost, consume, handBack); // fails at once
      return new Promise<RemoteDecision>((resolve, reject) => {
        // decided in order, as Redis does, whatever happens to the replies
        const decided = super.decide(key, p, cost, consume, handBack);
        this.pending.push({
          settle: (answer) => {
            if (answer === 'reply') void decided.then(resolve);
            else {
              const err = { late: (): RemoteDecision | undefined => undefined };
              if (answer === 'late') void decided.then((d) => (err.late = () => d));
              reject(err);
            }
          },
        });
      });
    }
  }

  function manual() {
    const primary = new ManualStore(() => 0);
    const fallback = new MemoryLimiterStore({ clock: () => 0, sweepIntervalMs: 0 });
    const store = new FallbackLimiterStore(primary, fallback, {
      mode: 'fail-over',
      breaker: { failureThreshold: 100, openMs: 1000 },
      denyCacheMs: 0,
      clock: () => 0,
      callTimeoutMs: 50,
    });
    return { store, primary };
  }

  it("takes Redis' answer for a call that timed out when its reply came while it waited for a later call", async () => {
    const { store, primary } = manual();
    const first = store.decide('k', bucket, 1, true);
    const second = store.decide('k', bucket, 1, true);
    const third = store.decide('k', bucket, 1, true);
    // the first times out, but its reply comes late; the second is answered in time; the
    // third is denied by Redis, which applied all three
    primary.pending[0]?.settle('late');
    await new Promise(setImmediate);
    primary.pending[1]?.settle('reply');
    primary.pending[2]?.settle('reply');
    expect((await first).store).toBe('redis');
    expect(await Promise.all([second, third])).toMatchObject([
      { allowed: true, store: 'redis' },
      { allowed: false, store: 'redis' },
    ]);
    expect(store.stats).toMatchObject({ lateDecisions: 1, fallbackDecisions: 0 });
    // the copy holds both calls once: none left
    primary.healthy = false;
    expect(await store.decide('k', bucket, 1, true)).toMatchObject({ allowed: false, store: 'memory' });
  });

  it('decides a call that timed out here only once the calls sent after it have come back', async () => {
    const { store, primary } = manual();
    const first = store.decide('k', bucket, 1, true);
    const second = store.decide('k', bucket, 1, true);
    primary.pending[0]?.settle('timeout');
    let firstDone = false;
    void first.then(() => (firstDone = true));
    await new Promise(setImmediate);
    expect(firstDone).toBe(false); // waiting for the second
    primary.pending[1]?.settle('timeout');
    expect(await Promise.all([first, second])).toMatchObject([
      { allowed: true, store: 'memory' },
      { allowed: true, store: 'memory' },
    ]);
    expect(store.stats).toMatchObject({ lateDecisions: 0, fallbackDecisions: 2 });
  });

  it('stops waiting after one call timeout when a call on its way never comes back', async () => {
    const { store, primary } = manual();
    const first = store.decide('k', bucket, 1, true);
    void store.decide('k', bucket, 1, true); // never answered, never timed out
    primary.pending[0]?.settle('timeout');
    expect(await first).toMatchObject({ allowed: true, store: 'memory' });
  });
});
