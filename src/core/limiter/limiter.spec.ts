import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LimiterStore, StoreDecision } from './limiter-store.js';
import {
  type DecisionResponse,
  Limiter,
  MAX_BATCH,
  MAX_BODY_BYTES,
  rateLimitHeaders,
  RequestError,
  STORE_CONNECT_WAIT_MS,
} from './limiter.js';
import { MemoryLimiterStore } from './memory-limiter.store.js';
import type { Policy } from './policy.js';

const bucket: Policy = {
  name: 'bucket',
  algorithm: 'token_bucket',
  scope: ['user', 'route'],
  capacity: 5,
  refillPerSec: 2,
};
const tiny: Policy = { name: 'tiny', algorithm: 'sliding_window', scope: ['ip'], limit: 3, windowMs: 1_500 };

describe('Limiter', () => {
  const now = 1_000_000;
  let store: MemoryLimiterStore;
  let limiter: Limiter;
  const at = (i: number) => `[${i}].`;
  beforeEach(() => {
    store = new MemoryLimiterStore({ clock: () => now, sweepIntervalMs: 0 });
    limiter = new Limiter([bucket, tiny], store);
  });
  afterEach(() => {
    store.close();
  });

  it('finds its policies by name and keeps its store', () => {
    expect(limiter.policy('bucket')).toBe(bucket);
    expect(limiter.policy('tiny')).toBe(tiny);
    expect(limiter.policy('nope')).toBeUndefined();
    expect(limiter.store).toBe(store);
  });

  it('answers one decision with the policy, its limit, the store and the decision time', async () => {
    expect(await limiter.decideOne({ policy: 'bucket', subject: { user: 'u', route: 'r' }, cost: 2 }, true)).toEqual({
      allowed: true,
      policy: 'bucket',
      algorithm: 'token_bucket',
      limit: 5,
      remaining: 3,
      retryAfterMs: 0,
      resetMs: 1_000,
      now: 1_000_000,
      store: 'memory',
    });
    expect(await limiter.decideOne({ policy: 'tiny', subject: { ip: 'a' } }, true)).toEqual({
      allowed: true,
      policy: 'tiny',
      algorithm: 'sliding_window',
      limit: 3,
      remaining: 2,
      retryAfterMs: 0,
      resetMs: 2_000, // start 999_000 + 2W - now
      now: 1_000_000,
      store: 'memory',
    });
  });

  it('costs 1 by default and accepts a cost equal to the limit', async () => {
    const subject = { user: 'u', route: 'r' };
    expect(await limiter.decideOne({ policy: 'bucket', subject }, true)).toMatchObject({ allowed: true, remaining: 4 });
    expect(await limiter.decideOne({ policy: 'bucket', subject }, true)).toMatchObject({ allowed: true, remaining: 3 });
    expect(await limiter.decideOne({ policy: 'tiny', subject: { ip: 'b' }, cost: 3 }, true)).toMatchObject({
      allowed: true,
      remaining: 0,
    });
    expect(await limiter.decideOne({ policy: 'tiny', subject: { ip: 'b' } }, true)).toMatchObject({
      allowed: false,
      remaining: 0,
    });
  });

  it('peeks with consume false and spends with consume true', async () => {
    const request = { policy: 'tiny', subject: { ip: 'p' }, cost: 2 };
    expect(await limiter.decideOne(request, false)).toMatchObject({ allowed: true, remaining: 3, resetMs: 0 });
    expect(await limiter.decideOne(request, false)).toMatchObject({ allowed: true, remaining: 3 });
    expect(await limiter.decideOne(request, true)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await limiter.decideOne(request, false)).toMatchObject({ allowed: false, remaining: 1 });
  });

  it('keys decisions by the policy scope only: other subject fields are ignored', async () => {
    await limiter.decideOne({ policy: 'tiny', subject: { ip: 'k', user: 'x' }, cost: 3 }, true);
    expect(await limiter.decideOne({ policy: 'tiny', subject: { ip: 'k', user: 'y' } }, false)).toMatchObject({
      allowed: false,
    });
    expect(await limiter.decideOne({ policy: 'tiny', subject: { ip: 'other' } }, false)).toMatchObject({
      allowed: true,
      remaining: 3,
    });
    expect(await limiter.decideOne({ policy: 'bucket', subject: { user: 'k', route: 'x' } }, false)).toMatchObject({
      remaining: 5,
    });
  });

  it.each([
    [{ policy: 'nope', subject: { ip: 'a' } }, 404, 'unknown_policy', "policy: no policy named 'nope'"],
    [
      { policy: 'bucket', subject: { user: 'a' } },
      400,
      'invalid_request',
      "subject.route is required by policy 'bucket'",
    ],
    [
      { policy: 'bucket', subject: { route: 'a' } },
      400,
      'invalid_request',
      "subject.user is required by policy 'bucket'",
    ],
    [
      { policy: 'bucket', subject: { user: 'a', route: 'b' }, cost: 6 },
      400,
      'invalid_request',
      "cost 6 is above the policy's limit of 5",
    ],
    [
      { policy: 'tiny', subject: { ip: 'a' }, cost: 4 },
      400,
      'invalid_request',
      "cost 4 is above the policy's limit of 3",
    ],
  ])('refuses %j with %i %s', async (request, status, error, message) => {
    const refused = await limiter.decideOne(request, true);
    expect(refused).toBeInstanceOf(RequestError);
    expect(refused).toEqual(new RequestError(status as 400 | 404, error as 'invalid_request', message));
    expect((refused as RequestError).body).toEqual({ error, message });
    expect(store.size).toBe(0);
  });

  it('decides a batch in order, each request after the one before it', async () => {
    const decisions = (await limiter.decideAll(
      [
        { policy: 'tiny', subject: { ip: 'a' } },
        { policy: 'bucket', subject: { user: 'u', route: 'r' }, cost: 5 },
        { policy: 'tiny', subject: { ip: 'a' }, cost: 2 },
        { policy: 'tiny', subject: { ip: 'a' } },
        { policy: 'bucket', subject: { user: 'u', route: 'r' } },
      ],
      true,
      at,
    )) as DecisionResponse[];
    expect(decisions.map((d) => [d.policy, d.allowed, d.remaining, d.retryAfterMs])).toEqual([
      ['tiny', true, 2, 0],
      ['bucket', true, 0, 0],
      ['tiny', true, 0, 0],
      ['tiny', false, 0, 1_000], // (start + W - t) + W - floor((L - cost) * W / cur) = 500 + 1500 - 1000
      ['bucket', false, 0, 500],
    ]);
  });

  it('peeks a whole batch without spending', async () => {
    const requests = [
      { policy: 'tiny', subject: { ip: 'a' }, cost: 3 },
      { policy: 'tiny', subject: { ip: 'a' }, cost: 3 },
    ];
    const decisions = (await limiter.decideAll(requests, false, at)) as DecisionResponse[];
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 3],
      [true, 3],
    ]);
    expect(store.size).toBe(0);
  });

  it('refuses a whole batch, naming the item, and decides none of it', async () => {
    const refused = await limiter.decideAll(
      [
        { policy: 'tiny', subject: { ip: 'a' } },
        { policy: 'tiny', subject: { ip: 'a' } },
        { policy: 'nope', subject: { ip: 'a' } },
        { policy: 'bucket', subject: {} },
      ],
      true,
      at,
    );
    expect(refused).toEqual(new RequestError(404, 'unknown_policy', "[2].policy: no policy named 'nope'"));
    expect(store.size).toBe(0);
    const second = await limiter.decideAll(
      [
        { policy: 'tiny', subject: { ip: 'a' } },
        { policy: 'bucket', subject: { user: 'u' } },
      ],
      true,
      at,
    );
    expect(second).toEqual(
      new RequestError(400, 'invalid_request', "[1].subject.route is required by policy 'bucket'"),
    );
    const third = await limiter.decideAll([{ policy: 'tiny', subject: { ip: 'a' }, cost: 9 }], true, at);
    expect(third).toEqual(new RequestError(400, 'invalid_request', "[0].cost 9 is above the policy's limit of 3"));
    expect(store.size).toBe(0);
    expect(await limiter.decideOne({ policy: 'tiny', subject: { ip: 'a' } }, false)).toMatchObject({ remaining: 3 });
  });

  it('answers an empty batch with an empty array', async () => {
    expect(await limiter.decideAll([], true, at)).toEqual([]);
  });

  it('answers from whatever store it is given, awaiting an asynchronous one', async () => {
    const calls: [string, string, number, boolean][] = [];
    const remote: LimiterStore = {
      async decide(key, policy, cost, consume): Promise<StoreDecision> {
        calls.push([key, policy.name, cost, consume]);
        return { allowed: false, remaining: 1, retryAfterMs: 7, resetMs: 9, now: 42, store: 'redis' };
      },
      forget() {},
      close() {},
      health: () => Promise.resolve({ status: 'up', store: 'redis' }),
    };
    const remoteLimiter = new Limiter([bucket], remote);
    expect(
      await remoteLimiter.decideOne({ policy: 'bucket', subject: { user: 'a/b', route: 'r' }, cost: 3 }, false),
    ).toEqual({
      allowed: false,
      policy: 'bucket',
      algorithm: 'token_bucket',
      limit: 5,
      remaining: 1,
      retryAfterMs: 7,
      resetMs: 9,
      now: 42,
      store: 'redis',
    });
    expect(calls).toEqual([['rl:{bucket:a%2Fb:r}', 'bucket', 3, false]]);
  });
});

describe('limits of the API', () => {
  it('are the contract numbers', () => {
    expect(MAX_BATCH).toBe(1000);
    expect(MAX_BODY_BYTES).toBe(1_048_576);
    expect(STORE_CONNECT_WAIT_MS).toBe(2_000);
  });
});

describe('rateLimitHeaders', () => {
  const decision = (d: Partial<DecisionResponse>): DecisionResponse => ({
    allowed: true,
    policy: 'x',
    algorithm: 'token_bucket',
    limit: 5,
    remaining: 0,
    retryAfterMs: 0,
    resetMs: 0,
    now: 0,
    store: 'memory',
    ...d,
  });

  it('gives a token bucket the window ceil(C / R) and t = ceil(resetMs / 1000) when allowed', () => {
    expect(rateLimitHeaders(bucket, decision({ limit: 5, remaining: 4, resetMs: 500, retryAfterMs: 9_000 }))).toEqual([
      ['RateLimit-Policy', '"bucket";q=5;w=3'],
      ['RateLimit', '"bucket";r=4;t=1'],
    ]);
  });

  it('gives a sliding window the window ceil(W / 1000) and t = ceil(retryAfterMs / 1000) when denied', () => {
    expect(
      rateLimitHeaders(tiny, decision({ allowed: false, limit: 3, remaining: 0, resetMs: 9_000, retryAfterMs: 1_001 })),
    ).toEqual([
      ['RateLimit-Policy', '"tiny";q=3;w=2'],
      ['RateLimit', '"tiny";r=0;t=2'],
    ]);
  });

  it('rounds up, never down, and keeps whole seconds as they are', () => {
    const exact: Policy = { name: 'e', algorithm: 'token_bucket', scope: ['ip'], capacity: 10, refillPerSec: 5 };
    expect(rateLimitHeaders(exact, decision({ limit: 10, remaining: 10, resetMs: 0 }))).toEqual([
      ['RateLimit-Policy', '"e";q=10;w=2'],
      ['RateLimit', '"e";r=10;t=0'],
    ]);
    expect(
      rateLimitHeaders(exact, decision({ allowed: false, limit: 10, retryAfterMs: 1, resetMs: 2_000 }))[1],
    ).toEqual(['RateLimit', '"e";r=0;t=1']);
    const minute: Policy = { name: 'm', algorithm: 'sliding_window', scope: ['ip'], limit: 60, windowMs: 60_000 };
    expect(rateLimitHeaders(minute, decision({ limit: 60, remaining: 59, resetMs: 119_999 }))).toEqual([
      ['RateLimit-Policy', '"m";q=60;w=60'],
      ['RateLimit', '"m";r=59;t=120'],
    ]);
  });

  it('fits the decisions the limiter makes', async () => {
    let now = 0;
    const store = new MemoryLimiterStore({ clock: () => now, sweepIntervalMs: 0 });
    const limiter = new Limiter([bucket], store);
    const request = { policy: 'bucket', subject: { user: 'u', route: 'r' }, cost: 5 };
    const allowed = (await limiter.decideOne(request, true)) as DecisionResponse;
    expect(rateLimitHeaders(bucket, allowed)).toEqual([
      ['RateLimit-Policy', '"bucket";q=5;w=3'],
      ['RateLimit', '"bucket";r=0;t=3'], // resetMs 2500
    ]);
    now = 100;
    const denied = (await limiter.decideOne({ ...request, cost: 1 }, true)) as DecisionResponse;
    expect(denied).toMatchObject({ allowed: false, retryAfterMs: 400, resetMs: 2_400 });
    expect(rateLimitHeaders(bucket, denied)[1]).toEqual(['RateLimit', '"bucket";r=0;t=1']); // 400 ms: 1, never 0
    store.close();
  });
});
