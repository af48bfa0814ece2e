/**
 * Envoy's rate limit service (docs/LIMITER.md, "Envoy's rate limit service") on every profile,
 * over real gRPC with the proto files both serve: descriptors mapped to policies and subjects,
 * every response field, every refusal and its gRPC status; then one limit for HTTP and gRPC:
 * the same keys driven through both APIs at once, every decision replayed through the reference
 * algorithms (0 false allows, 0 false denies), on memory, on a real Redis shared by Profile A
 * and Profile B, and through the fallback while Redis is gone.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecisionLog } from '../bench/limiter/accuracy.js';
import { type Policy, type RateLimitResponse } from '../src/core/index.js';
import { RedisServer } from './support/redis-server.js';
import { decisionsOf, descriptor, RlsClient, sendRawRequest } from './support/rls-client.js';
import { type Profile, PROFILES, ServerProcess } from './support/server-process.js';

const POLICIES: Policy[] = [
  { name: 'per-ip', algorithm: 'sliding_window', scope: ['ip'], limit: 3, windowMs: 60_000 },
  { name: 'per-user', algorithm: 'token_bucket', scope: ['user'], capacity: 5, refillPerSec: 0.5 },
  { name: 'user-route', algorithm: 'sliding_window', scope: ['user', 'route'], limit: 2, windowMs: 1000 },
  { name: 'login', algorithm: 'sliding_window', scope: ['ip'], limit: 7, windowMs: 3000 },
  { name: 'shared', algorithm: 'token_bucket', scope: ['user'], capacity: 20, refillPerSec: 40 },
  { name: 'shared-window', algorithm: 'sliding_window', scope: ['user'], limit: 30, windowMs: 1000 },
];
const DOMAINS = [
  {
    domain: 'gw',
    descriptors: [
      { key: 'remote_address', subject: 'ip', policy: 'per-ip' },
      {
        key: 'user_id',
        subject: 'user',
        policy: 'per-user',
        descriptors: [{ key: 'path', subject: 'route', policy: 'user-route' }],
      },
      { key: 'path', value: '/login', descriptors: [{ key: 'remote_address', subject: 'ip', policy: 'login' }] },
      { key: 'shared', subject: 'user', policy: 'shared' },
      { key: 'shared_window', subject: 'user', policy: 'shared-window' },
    ],
  },
];
const dir = mkdtempSync(join(tmpdir(), 'limiter-grpc-'));
const POLICIES_FILE = join(dir, 'policies.json');
writeFileSync(POLICIES_FILE, JSON.stringify({ policies: POLICIES, domains: DOMAINS }));

const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;

const ms = (d: { seconds: number; nanos: number } | null | undefined) =>
  d === null || d === undefined ? undefined : d.seconds * 1000 + d.nanos / 1e6;

async function httpDecide(server: ServerProcess, policy: string, subject: Record<string, string>, consume = true) {
  const res = await fetch(`${server.httpUrl}/v1/${consume ? 'check_and_consume' : 'check'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ policy, subject }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { allowed: boolean; remaining: number; now: number; store: string };
}

describe.each(PROFILES)('the gRPC rate limit service on $name', (profile: Profile) => {
  let server: ServerProcess;
  let rls: RlsClient;
  beforeAll(async () => {
    server = await ServerProcess.start(profile, { POLICIES_FILE });
    rls = new RlsClient(server.grpcAddress);
  });
  afterAll(async () => {
    rls?.close();
    await server?.stop();
  });

  it('maps each descriptor to its policy and subject, nested, by value or any value, and answers every field', async () => {
    const res = await rls.decide({
      domain: 'gw',
      descriptors: [
        descriptor(['remote_address', '10.0.0.1']),
        descriptor(['user_id', 'ann']),
        descriptor(['user_id', 'ann'], ['path', '/a']),
        descriptor(['path', '/login'], ['remote_address', '10.0.0.1']),
        descriptor(['path', '/other'], ['remote_address', '10.0.0.1']),
        descriptor(['unknown', 'x']),
        descriptor(['user_id', 'ann'], ['path', '/a'], ['deeper', 'x']),
      ],
    });
    expect(res.overallCode).toBe('OK');
    const [ip, user, userRoute, login, ...unlimited] = res.statuses;
    expect(ip).toMatchObject({
      code: 'OK',
      currentLimit: { name: 'per-ip', requestsPerUnit: 3, unit: 'MINUTE' },
      limitRemaining: 2,
    });
    expect(user).toMatchObject({
      code: 'OK',
      currentLimit: { name: 'per-user', requestsPerUnit: 30, unit: 'MINUTE' },
      limitRemaining: 4,
    });
    expect(userRoute).toMatchObject({
      currentLimit: { name: 'user-route', requestsPerUnit: 2, unit: 'SECOND' },
      limitRemaining: 1,
    });
    // 7 per 3 s is no whole unit: 140 a minute
    expect(login).toMatchObject({
      currentLimit: { name: 'login', requestsPerUnit: 140, unit: 'MINUTE' },
      limitRemaining: 6,
    });
    for (const status of unlimited) {
      expect(status).toMatchObject({ code: 'OK', currentLimit: null, limitRemaining: 0, durationUntilReset: null });
    }
    // until the key is whole again: the bucket refills its one token in 2 s, the windows forget
    // their call within two windows
    expect(ms(user?.durationUntilReset)).toBeGreaterThan(1900);
    expect(ms(user?.durationUntilReset)).toBeLessThanOrEqual(2000);
    expect(ms(ip?.durationUntilReset)).toBeGreaterThan(60_000);
    expect(ms(ip?.durationUntilReset)).toBeLessThanOrEqual(120_000);
    // the RateLimit header fields of the HTTP API, one item per limited descriptor, in order
    const headers = Object.fromEntries(res.responseHeadersToAdd.map((h) => [h.key, h.value]));
    expect(headers['RateLimit-Policy']).toBe(
      '"per-ip";q=3;w=60, "per-user";q=5;w=10, "user-route";q=2;w=1, "login";q=7;w=3',
    );
    expect(headers.RateLimit).toMatch(
      /^"per-ip";r=2;t=\d+, "per-user";r=4;t=2, "user-route";r=1;t=\d, "login";r=6;t=\d$/,
    );
    // when and where each limited descriptor was decided, as the HTTP API's `now` and `store`
    const decisions = decisionsOf(res);
    expect(decisions.slice(0, 4).every((d) => d?.store === 'memory' && Math.abs(d.now - Date.now()) < 5_000)).toBe(
      true,
    );
    expect(decisions.slice(4)).toEqual([undefined, undefined, undefined]);
  });

  it('decides on the keys the HTTP API decides on', async () => {
    await rls.decide({ domain: 'gw', descriptors: [descriptor(['remote_address', '10.0.0.9'])] });
    await rls.decide({ domain: 'gw', descriptors: [descriptor(['remote_address', '10.0.0.9'])] });
    expect((await httpDecide(server, 'per-ip', { ip: '10.0.0.9' }, false)).remaining).toBe(1);
    await httpDecide(server, 'per-ip', { ip: '10.0.0.9' });
    const res = await rls.decide({ domain: 'gw', descriptors: [descriptor(['remote_address', '10.0.0.9'])] });
    expect(res.overallCode).toBe('OVER_LIMIT');
    expect(res.statuses[0]).toMatchObject({ code: 'OVER_LIMIT', limitRemaining: 0 });
    // denied: until a retry may pass, as the RateLimit field's t says
    const wait = ms(res.statuses[0]?.durationUntilReset) as number;
    // (a sliding window forgets every call within two windows: no retry is further away)
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(2 * 60_000);
    const t = Number(/;t=(\d+)$/.exec(res.responseHeadersToAdd[1]?.value ?? '')?.[1]);
    expect(t).toBe(Math.ceil(wait / 1000));
  });

  it('is over limit when any descriptor is, and decides the others all the same', async () => {
    for (let i = 0; i < 3; i++)
      await rls.decide({ domain: 'gw', descriptors: [descriptor(['remote_address', '10.1.1.1'])] });
    const res = await rls.decide({
      domain: 'gw',
      descriptors: [descriptor(['user_id', 'bob']), descriptor(['remote_address', '10.1.1.1'])],
    });
    expect(res.overallCode).toBe('OVER_LIMIT');
    expect(res.statuses.map((s) => s.code)).toEqual(['OK', 'OVER_LIMIT']);
    expect(res.statuses[0]?.limitRemaining).toBe(4); // bob's call was spent
  });

  it('takes hits_addend as the cost (0: 1), and never allows one above the limit, spending nothing', async () => {
    const bucket = (hitsAddend: number) =>
      rls.decide({ domain: 'gw', descriptors: [descriptor(['user_id', 'cyd'])], hitsAddend });
    expect((await bucket(2)).statuses[0]?.limitRemaining).toBe(3);
    expect((await bucket(0)).statuses[0]?.limitRemaining).toBe(2);
    const never = await bucket(6);
    expect(never.overallCode).toBe('OVER_LIMIT');
    expect(never.statuses[0]).toMatchObject({ code: 'OVER_LIMIT', limitRemaining: 2 });
    expect((await httpDecide(server, 'per-user', { user: 'cyd' }, false)).remaining).toBe(2);
  });

  it.each([
    [{ domain: '', descriptors: [descriptor(['user_id', 'x'])] }, INVALID_ARGUMENT, 'domain must not be empty'],
    [{ domain: 'nope', descriptors: [descriptor(['user_id', 'x'])] }, NOT_FOUND, "no domain named 'nope'"],
    [{ domain: 'gw', descriptors: [] }, INVALID_ARGUMENT, 'descriptors must not be empty'],
    [{ domain: 'gw', descriptors: [{ entries: [] }] }, INVALID_ARGUMENT, 'descriptors[0].entries must not be empty'],
    [
      { domain: 'gw', descriptors: [descriptor(['user_id', 'x']), descriptor(['', 'x'])] },
      INVALID_ARGUMENT,
      'descriptors[1].entries[0].key must not be empty',
    ],
    [
      { domain: 'gw', descriptors: [descriptor(['user_id', 'x'], ['path', ''])] },
      INVALID_ARGUMENT,
      'descriptors[0].entries[1].value must not be empty',
    ],
    [
      { domain: 'gw', descriptors: [descriptor(['user_id', 'x'], ['path', 'p'.repeat(257)])] },
      INVALID_ARGUMENT,
      'descriptors[0].entries[1].value must be a string of 1 to 256 characters of well-formed Unicode',
    ],
  ])('refuses %j with status %i, deciding nothing', async (request, code, details) => {
    expect(await rls.call(request)).toEqual({ code, details });
    // nothing was spent on the request's other descriptors, and the server goes on
    expect((await httpDecide(server, 'per-user', { user: 'x' }, false)).remaining).toBe(5);
    expect((await fetch(`${server.httpUrl}/health`)).status).toBe(200);
  });

  it('refuses bytes that are no RateLimitRequest (gRPC itself: INTERNAL), and goes on', async () => {
    // a field tag whose varint never ends
    const answer = await sendRawRequest(server.grpcAddress, Buffer.alloc(6, 0xff));
    expect(answer.code).toBe(13);
    expect(answer.details).toMatch(/deserializ/i);
    expect((await rls.decide({ domain: 'gw', descriptors: [descriptor(['user_id', 'eve'])] })).overallCode).toBe('OK');
  });
});

/**
 * One key of `policy`, driven by 4 HTTP loops and 4 gRPC loops at once for `ms`, spread over
 * `servers` (each loop's HTTP on one server, its gRPC on the next); every decision's server time,
 * outcome and store.
 */
async function driveBothApis(servers: readonly ServerProcess[], policy: string, descriptorKey: string, ms: number) {
  const decisions: { user: string; now: number; allowed: boolean; store: string }[] = [];
  const user = `${policy}-${Math.random()}`;
  const clients = servers.map((s) => new RlsClient(s.grpcAddress));
  const started = Date.now();
  const loops: Promise<void>[] = [];
  for (let i = 0; i < 4; i++) {
    const httpServer = servers[i % servers.length] as ServerProcess;
    const client = clients[(i + 1) % clients.length] as RlsClient;
    loops.push(
      (async () => {
        while (Date.now() - started < ms) {
          const d = await httpDecide(httpServer, policy, { user });
          decisions.push({ user, now: d.now, allowed: d.allowed, store: d.store });
        }
      })(),
      (async () => {
        while (Date.now() - started < ms) {
          const res: RateLimitResponse = await client.decide({
            domain: 'gw',
            descriptors: [descriptor([descriptorKey, user])],
          });
          const d = decisionsOf(res)[0] as { now: number; store: string };
          decisions.push({ user, now: d.now, allowed: res.statuses[0]?.code === 'OK', store: d.store });
        }
      })(),
    );
  }
  await Promise.all(loops);
  for (const c of clients) c.close();
  return decisions;
}

function replay(policy: string, decisions: ReturnType<typeof driveBothApis> extends Promise<infer T> ? T : never) {
  const log = new DecisionLog(POLICIES.find((p) => p.name === policy) as Policy);
  for (const d of decisions) log.add(d.user, d.now, d.allowed, d.store);
  return log.replay();
}

const SHARED: [policy: string, descriptorKey: string][] = [
  ['shared', 'shared'],
  ['shared-window', 'shared_window'],
];

describe.each(PROFILES)('one limit for HTTP and gRPC on $name (memory)', (profile: Profile) => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await ServerProcess.start(profile, { POLICIES_FILE });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each(SHARED)('decides %s through both APIs at once as one limiter would have', async (policy, key) => {
    const decisions = await driveBothApis([server], policy, key, 1_500);
    expect(decisions.filter((d) => !d.allowed).length).toBeGreaterThan(0);
    expect(replay(policy, decisions)).toMatchObject({ falseAllows: 0, falseDenies: 0, overLimitAllows: 0 });
  });
});

describe('one limit for HTTP and gRPC on one Redis (Profile A and Profile B)', () => {
  let redis: RedisServer;
  let servers: ServerProcess[];
  beforeAll(async () => {
    redis = await RedisServer.start();
    const pair = [PROFILES[0], PROFILES[PROFILES.length - 1]] as Profile[];
    servers = await Promise.all(
      pair.map((p) =>
        ServerProcess.start(p, {
          POLICIES_FILE,
          LIMITER_STORE: 'redis',
          REDIS_URL: redis.url,
          DENY_CACHE_MS: '0',
          REDIS_TIMEOUT_MS: '200',
          BREAKER_FAILURES: '1',
          BREAKER_OPEN_MS: '200',
        }),
      ),
    );
  });
  afterAll(async () => {
    await Promise.all((servers ?? []).map((s) => s.stop()));
    await redis?.stop();
  });

  it.each(SHARED)('decides %s through both APIs of both profiles as one limiter would have', async (policy, key) => {
    const decisions = await driveBothApis(servers, policy, key, 1_500);
    expect(new Set(decisions.map((d) => d.store))).toEqual(new Set(['redis']));
    expect(decisions.filter((d) => !d.allowed).length).toBeGreaterThan(0);
    expect(replay(policy, decisions)).toMatchObject({ falseAllows: 0, falseDenies: 0, overLimitAllows: 0 });
  });

  it('answers from the fallback while Redis is gone, and from Redis again once it is back', async () => {
    const client = new RlsClient(servers[0]?.grpcAddress as string);
    const asked: { user: string; now: number; allowed: boolean; store: string }[] = [];
    const ask = async () => {
      const res = await client.decide({ domain: 'gw', descriptors: [descriptor(['user_id', 'dee'])] });
      const { now, store } = decisionsOf(res)[0] as { now: number; store: string };
      asked.push({ user: 'dee', now, allowed: res.statuses[0]?.code === 'OK', store });
      return { code: res.statuses[0]?.code, store, remaining: res.statuses[0]?.limitRemaining };
    };
    try {
      expect(await ask()).toEqual({ code: 'OK', store: 'redis', remaining: 4 });
      await redis.stop();
      // the copy of Redis' state goes on (4 tokens), on this instance's share of two: the call
      // costs 2, and 2 tokens are 1 call of this instance's
      expect(await ask()).toEqual({ code: 'OK', store: 'memory', remaining: 1 });
      await redis.restart();
      for (let i = 0; i < 100 && asked.at(-1)?.store !== 'redis'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        await ask();
      }
      // back on Redis, which went on from the fallback's state (handed back), not a full bucket
      expect(asked.at(-1)?.store).toBe('redis');
      // never past the limit (the share denies some calls one limiter would have allowed)
      expect(replay('per-user', asked)).toMatchObject({ falseAllows: 0, overLimitAllows: 0 });
    } finally {
      client.close();
    }
  });
});
