/**
 * Issue 16, "coming back": Redis killed in the middle of a burst and restarted empty, with one
 * instance of each profile and with two instances (Profile A and B) sharing one Redis. Every
 * decision is replayed through the reference algorithms (bench/limiter/accuracy.ts): no key is
 * allowed past its limit across the fault, before, during or after; one instance decides exactly
 * as one limiter would have (docs/LIMITER.md, "Fail-over").
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
  const calls = servers.map(async (server) => {
    while (Date.now() - started < ms) {
      const res = await fetch(`${server.httpUrl}/v1/check_and_consume`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ policy, subject: { user } }),
      });
      expect(res.status).toBe(200);
      decisions.push((await res.json()) as Decision);
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

  it('two instances (A and B) on one Redis never allow a key past its limit', async () => {
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
      const { accuracy, stores } = replay(policy, await burst(servers, policy, user, 3000, fault()));
      expect(stores).toContain('memory');
      expect(stores).toContain('redis');
      expect(accuracy.overLimitAllows).toBe(0);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });
});
