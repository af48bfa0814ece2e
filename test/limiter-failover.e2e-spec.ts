/**
 * Issue 16, "coming back": Redis killed in the middle of a burst and restarted empty, with one
 * instance of each profile and with two instances (Profile A and B) sharing one Redis. Every
 * decision is replayed through the reference algorithms (bench/limiter/accuracy.ts): one instance
 * decides exactly as one limiter would have, before, during and after the fault; two allow a key
 * past its limit only by the calls docs/LIMITER.md ("Fail-over") names.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecisionLog } from '../bench/limiter/accuracy.js';
import type { Policy } from '../src/core/index.js';
import { parsePrometheus } from './support/prometheus.js';
import { RedisServer } from './support/redis-server.js';
import { type Profile, PROFILES, ServerProcess } from './support/server-process.js';

const POLICIES: Policy[] = [
  { name: 'burst', algorithm: 'token_bucket', scope: ['user'], capacity: 20, refillPerSec: 10 },
  { name: 'burst-window', algorithm: 'sliding_window', scope: ['user'], limit: 20, windowMs: 1000 },
];
const dir = mkdtempSync(join(tmpdir(), 'limiter-failover-'));
const POLICIES_FILE = join(dir, 'policies.json');
writeFileSync(POLICIES_FILE, JSON.stringify({ policies: POLICIES }));

/** Short timeouts and breaker periods, so that a fault and a return fit in seconds. */
const SETTINGS = {
  POLICIES_FILE,
  LIMITER_STORE: 'redis',
  REDIS_TIMEOUT_MS: '200',
  BREAKER_FAILURES: '1',
  BREAKER_OPEN_MS: '200',
};

interface Decision {
  allowed: boolean;
  now: number;
  store: string;
  /** Which of the servers decided (its index). */
  server: number;
}

/**
 * Each server gets one call at a time on `user` (over its limit: about 60 calls a second each
 * against 10 a second refilled) for `ms`; `during(at)` runs once when `at` ms have passed.
 */
async function burst(
  servers: readonly ServerProcess[],
  policy: string,
  user: string,
  ms: number,
  events: [at: number, run: () => Promise<void>][],
): Promise<Decision[]> {
  const decisions: Decision[] = [];
  const started = Date.now();
  const calls = servers.map(async (server, i) => {
    while (Date.now() - started < ms) {
      const res = await fetch(`${server.httpUrl}/v1/check_and_consume`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ policy, subject: { user } }),
      });
      expect(res.status).toBe(200);
      decisions.push({ ...((await res.json()) as Omit<Decision, 'server'>), server: i });
      await new Promise((r) => setTimeout(r, 10));
    }
  });
  const faults = (async () => {
    for (const [at, run] of events) {
      await new Promise((r) => setTimeout(r, Math.max(0, at - (Date.now() - started))));
      await run();
    }
  })();
  await Promise.all([...calls, faults]);
  return decisions;
}

/**
 * Calls allowed while the servers disagreed on where to decide: one on Redis (its decisions come
 * from `redis` or its denied-`cache`), another in the fallback (`memory`), each known by its
 * latest decision. docs/LIMITER.md: instances that are not back on Redis together can allow a
 * key past its limit by these calls.
 */
function allowedWhileApart(decisions: readonly Decision[]): number {
  const latest = new Map<number, boolean>(); // server → on Redis
  let allowed = 0;
  for (const d of [...decisions].sort((a, b) => a.now - b.now)) {
    latest.set(d.server, d.store !== 'memory');
    if (d.allowed && new Set(latest.values()).size > 1) allowed++;
  }
  return allowed;
}

/** The replay of one key's decisions, and which stores decided them. */
function replay(policy: string, decisions: Decision[]) {
  const log = new DecisionLog(POLICIES.find((p) => p.name === policy) as Policy);
  for (const d of decisions) log.add('k', d.now, d.allowed, d.store);
  const stores = new Set(decisions.map((d) => d.store));
  return { accuracy: log.replay(), stores };
}

describe.each(POLICIES.map((p) => p.name))('fail-over through a Redis restart on %s', (policy) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  /** Kills Redis 0.8 s into a 3 s burst and starts it again, empty, at 1.6 s. */
  const fault = (): [number, () => Promise<void>][] => [
    [800, () => redis.stop()],
    [1600, () => redis.restart()],
  ];

  /** One instance of `profile` through the fault: it decides as one limiter would have. */
  async function alone(profile: Profile, settings: Record<string, string> = {}): Promise<void> {
    const server = await ServerProcess.start(profile, { ...SETTINGS, ...settings, REDIS_URL: redis.url });
    try {
      const user = `solo-${Math.random()}`;
      const { accuracy, stores } = replay(policy, await burst([server], policy, user, 3000, fault()));
      // Redis decided before and after (denials also from its local cache), the fallback in between
      expect(stores).toContain('memory');
      expect(stores).toContain('redis');
      expect(accuracy).toMatchObject({ falseAllows: 0, falseDenies: 0, overLimitAllows: 0 });
    } finally {
      await server.stop();
    }
  }

  it.each(PROFILES)('one instance, $name, decides as one limiter would have', (profile: Profile) => alone(profile));

  it('hands a key back with its next decision when the outage was too short to open the breaker', async () => {
    // the breaker never opens: each decision tries Redis, fails over alone, and no return (and no
    // hand-back of every key) ever happens; only the key's own next decision can bring it back
    await alone(PROFILES[0] as Profile, { BREAKER_FAILURES: '1000' });
  });

  it('two instances (A and B) on one Redis allow a key past its limit only as documented', async () => {
    const pair = [PROFILES[0], PROFILES[PROFILES.length - 1]] as Profile[];
    const servers = await Promise.all(pair.map((p) => ServerProcess.start(p, { ...SETTINGS, REDIS_URL: redis.url })));
    try {
      // each instance has counted the other in Redis (heartbeats every second); A says so
      await new Promise((r) => setTimeout(r, 1_200));
      if (pair[0]?.name.startsWith('A')) {
        const metrics = parsePrometheus(await (await fetch(`${servers[0]?.httpUrl}/metrics`)).text());
        expect(metrics.byKey.get('limiter_instances')).toBe(2);
      }
      const user = `pair-${Math.random()}`;
      const decisions = await burst(servers, policy, user, 3000, fault());
      const { accuracy, stores } = replay(policy, decisions);
      expect(stores).toContain('memory');
      expect(stores).toContain('redis');
      // Past the limit only by what docs/LIMITER.md names: a copy that misses the other's last
      // call when the fault starts (one call each: each has one call on its way at a time), and
      // calls allowed while one server is back on Redis and the other not yet (usually none: they
      // probe at the same moments; under load one may come back a probe later)
      expect(accuracy.overLimitAllows).toBeLessThanOrEqual(servers.length + allowedWhileApart(decisions));
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });
});
