/**
 * Limiter scenarios against the decision API: `normal` (Zipf-like keys, single and batch
 * requests), `hotkey` (80% of checks on one key), `degrade` (Redis behind a fault-injecting
 * proxy). Every decision is replayed through the reference algorithms for accuracy.
 */
import autocannon from 'autocannon';
import { defaultPolicies, loadSettings, type Policy } from '../../src/core/index.js';
import { LatencyHistogram } from '../lib/histogram.js';
import { Progress } from '../lib/progress.js';
import { rng, zipf } from '../lib/random.js';
import { type BenchResult, resultBase } from '../lib/result.js';
import { ServerSampler } from '../lib/server-sampler.js';
import { freePort } from '../../tools/processes.js';
import { type RedisProcess, redisServerVersion, startRedis } from '../../tools/redis-process.js';
import { cpuMicrosOfTree, procAvailable } from '../lib/proc-usage.js';
import { LOAD_CPU, openTarget, type Target, tasksetAvailable } from '../lib/target.js';
import { DecisionLog } from './accuracy.js';
import { FaultProxy } from './fault-proxy.js';

export interface LimiterOptions {
  /** Checks per second offered. */
  rate: number;
  durationS: number;
  warmupS: number;
  /** Checks per batch request; half the requests are batches, half single checks. */
  batchSize: number;
  connections: number;
  /** Distinct keys of the long tail. */
  keys: number;
  policy: string;
  /**
   * normal and hotkey on a started profile: where its limiter keeps state. `redis` (the default,
   * as the seed's service is Redis-backed): a private redis-server on the load generator's CPU,
   * as in degrade. A URL target decides with whatever store it was started with.
   */
  store: 'memory' | 'redis';
  seed: number;
  quiet: boolean;
  pinned: boolean;
}

export const LIMITER_DEFAULTS: Partial<LimiterOptions> = {
  rate: 50_000,
  durationS: 30,
  warmupS: 3,
  batchSize: 50,
  connections: 32,
  keys: 10_000,
  policy: 'per-user',
  store: 'redis',
};

/** The built-in policies (docs/LIMITER.md): the policy under test, also for the replay. */
function builtInPolicy(name: string): Policy {
  const policy = defaultPolicies(loadSettings({})).find((p) => p.name === name);
  if (!policy) throw new Error(`--policy must be a built-in policy, got ${name}`);
  return policy;
}

interface RunContext {
  users?: string[];
}

interface LoadRun {
  requests: number;
  errors: number;
  non2xx: number;
  seconds: number;
  latency: LatencyHistogram;
  stores: Record<string, number>;
  /** Per decision: local time (ms since the run started) and store, for degrade's timeline. */
  timeline?: { at: number; store: string }[];
}

/** Offers `rate` checks/s for `durationS` with autocannon; logs every decision. */
async function offer(
  target: Target,
  options: LimiterOptions,
  pickUser: () => string,
  log: DecisionLog | undefined,
  progress: Progress,
  durationS: number,
  keepTimeline = false,
): Promise<LoadRun> {
  const random = rng(options.seed + 1);
  const meanChecks = (1 + options.batchSize) / 2;
  const latency = new LatencyHistogram();
  const stores: Record<string, number> = {};
  const timeline: { at: number; store: string }[] = [];
  const started = performance.now();
  const policy = options.policy;
  const record = (user: string, d: { allowed: boolean; now: number; store: string }) => {
    log?.add(user, d.now, d.allowed);
    stores[d.store] = (stores[d.store] ?? 0) + 1;
    if (keepTimeline) timeline.push({ at: performance.now() - started, store: d.store });
    progress.count++;
  };
  const instance = autocannon({
    url: `${target.httpUrl}/v1/check_and_consume`,
    method: 'POST',
    connections: options.connections,
    overallRate: Math.max(1, Math.round(options.rate / meanChecks)),
    duration: durationS,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req: autocannon.Request, context: RunContext) => {
          const n = random() < 0.5 ? 1 : options.batchSize;
          const users = Array.from({ length: n }, pickUser);
          context.users = users;
          const items = users.map((u) => `{"policy":"${policy}","subject":{"user":"${u}"}}`);
          return { ...req, body: n === 1 ? items[0] : `[${items.join(',')}]` };
        },
        onResponse: (status: number, body: string, context: RunContext) => {
          if (status !== 200 || !context.users) return;
          const parsed = JSON.parse(body);
          const decisions = Array.isArray(parsed) ? parsed : [parsed];
          decisions.forEach((d, i) => record(context.users?.[i] as string, d));
        },
      },
    ],
  } as unknown as autocannon.Options);
  // autocannon's promise is also its event emitter
  (instance as unknown as NodeJS.EventEmitter).on(
    'response',
    (_c: unknown, _s: number, _b: number, responseTime: number) => latency.record(responseTime),
  );
  const result = await instance;
  return {
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    seconds: durationS,
    latency,
    stores,
    timeline: keepTimeline ? timeline : undefined,
  };
}

function limiterResult(
  scenario: string,
  target: Target,
  options: LimiterOptions,
  run: LoadRun,
  log: DecisionLog,
): BenchResult {
  const accuracy = log.replay();
  return {
    ...resultBase(scenario, target, 'checks', options),
    total: log.count,
    processingSeconds: run.seconds,
    throughputPerSec: log.count / run.seconds,
    latency: run.latency.summary(),
    details: {
      offeredChecksPerSec: options.rate,
      requests: run.requests,
      errorRatePct: run.requests ? Number((((run.errors + run.non2xx) / run.requests) * 100).toFixed(3)) : 0,
      decidedBy: run.stores,
      accuracy,
    },
  };
}

async function runOffered(
  scenario: string,
  target: Target,
  options: LimiterOptions,
  hotShare: number,
  redis?: RedisProcess,
): Promise<BenchResult> {
  const policy = builtInPolicy(options.policy);
  const progress = new Progress('checks', options.quiet);
  progress.start();
  try {
    const random = rng(options.seed);
    const tail = zipf(options.keys, 1.1, random);
    const pickUser = () => (random() < hotShare ? 'hot' : `u${tail()}`);
    progress.phase = 'warm-up';
    await offer(
      target,
      { ...options, seed: options.seed + 7 },
      () => `warm${Math.floor(random() * 1000)}`,
      undefined,
      progress,
      options.warmupS,
    );
    progress.phase = 'measure';
    const sampler = new ServerSampler(target);
    await sampler.begin();
    const redisCpu = redis && procAvailable() ? () => cpuMicrosOfTree(redis.child.pid as number) : undefined;
    const redisCpuBefore = redisCpu?.() ?? 0;
    const redisStarted = performance.now();
    const log = new DecisionLog(policy);
    const run = await offer(target, options, pickUser, log, progress, options.durationS);
    const usage = await sampler.end(log.count);
    const result = limiterResult(scenario, target, options, run, log);
    if (usage) result.server = usage;
    if (hotShare > 0) result.details.hotKeyShare = hotShare;
    if (redis) {
      // Redis is the limiter's store here, on the generator's CPU: its CPU is not in the server's
      const redisMicros = redisCpu ? redisCpu() - redisCpuBefore : undefined;
      const seconds = (performance.now() - redisStarted) / 1000;
      if (redisMicros !== undefined) {
        result.details.redisCpu = {
          pctOfACore: Number(((redisMicros / (seconds * 1e6)) * 100).toFixed(1)),
          microsPerCheck: log.count ? Number((redisMicros / log.count).toFixed(2)) : 0,
        };
      }
      // no fault is injected: a decision Redis (or its deny cache) did not take fell back while it was healthy
      result.details.fallbackWhileRedisHealthy = (run.stores.memory ?? 0) + (run.stores.none ?? 0);
    }
    return result;
  } finally {
    progress.stop();
  }
}

export const runNormal = (t: Target, o: LimiterOptions, redis?: RedisProcess) => runOffered('normal', t, o, 0, redis);
export const runHotkey = (t: Target, o: LimiterOptions, redis?: RedisProcess) => runOffered('hotkey', t, o, 0.8, redis);

/**
 * The private Redis a started profile's limiter uses for normal and hotkey with `--store redis`:
 * on the load generator's CPU (as in degrade), so the server's CPU is measured without it.
 */
export async function startLimiterRedis(): Promise<RedisProcess> {
  return startRedis(await freePort(), tasksetAvailable() ? LOAD_CPU : undefined);
}

/**
 * degrade: the profile's Redis sits behind a FaultProxy. A third of the run is healthy, a third
 * suffers latency spikes (replies 150 ms late, above the 50 ms command timeout) and stalls (no
 * replies at all), the last third is healthy again. Reports the error rate, the share of
 * decisions the fallback took during the fault, and how long decisions took to return to Redis.
 */
export async function runDegrade(
  profile: string,
  options: LimiterOptions,
  env: Record<string, string> = {},
): Promise<BenchResult> {
  if (profile !== 'a' && profile !== 'b')
    throw new Error('degrade starts its own profile and Redis: --target must be a or b');
  const policy = builtInPolicy(options.policy);
  // Redis on the generator's CPU: the limiter's server CPU is measured without it
  const redis = await startRedis(await freePort(), tasksetAvailable() ? LOAD_CPU : undefined);
  const proxy = await FaultProxy.start(redis.port);
  const target = await openTarget(profile, {
    ...env,
    LIMITER_STORE: 'redis',
    REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
  });
  const progress = new Progress('checks', options.quiet);
  progress.start();
  const third = (options.durationS * 1000) / 3;
  let faulting: NodeJS.Timeout | undefined;
  try {
    const random = rng(options.seed);
    const tail = zipf(options.keys, 1.1, random);
    const log = new DecisionLog(policy);
    progress.phase = 'healthy';
    const schedule = setTimeout(() => {
      progress.phase = 'fault';
      let step = 0;
      faulting = setInterval(() => {
        const phase = step++ % 10;
        if (phase === 0) proxy.setDelay(150);
        else if (phase === 3) {
          proxy.setDelay(0);
          proxy.stall();
        } else if (phase === 6) proxy.resume();
      }, 100);
      setTimeout(() => {
        clearInterval(faulting);
        proxy.heal();
        progress.phase = 'recovered';
      }, third);
    }, third);
    const sampler = new ServerSampler(target);
    await sampler.begin();
    const run = await offer(target, options, () => `u${tail()}`, log, progress, options.durationS, true);
    clearTimeout(schedule);
    const usage = await sampler.end(log.count);
    const result = limiterResult('degrade', target, options, run, log);
    const redisVersion = redisServerVersion();
    if (result.provenance && redisVersion) result.provenance.redis = redisVersion;
    if (usage) result.server = usage;
    const timeline = run.timeline ?? [];
    const inFault = timeline.filter((d) => d.at >= third && d.at < 2 * third);
    const fallback = inFault.filter((d) => d.store === 'memory' || d.store === 'none').length;
    const backToRedis = timeline.find((d) => d.at >= 2 * third && d.store === 'redis');
    result.details.faultPhase = {
      decisions: inFault.length,
      fallbackHitRatioPct: inFault.length ? Number(((fallback / inFault.length) * 100).toFixed(2)) : 0,
    };
    result.details.returnToRedisMs = backToRedis ? Math.round(backToRedis.at - 2 * third) : 'never';
    if (!backToRedis) result.failures.push('decisions never returned to Redis after the fault');
    return result;
  } finally {
    if (faulting) clearInterval(faulting);
    progress.stop();
    await target.stop();
    await proxy.close();
    await redis.stop();
  }
}
