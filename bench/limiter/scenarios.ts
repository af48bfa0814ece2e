/**
 * Limiter scenarios against the decision API (HTTP), or Envoy's rate limit service (gRPC,
 * `--protocol grpc`): `normal` (Zipf-like keys, single and batch requests), `hotkey` (80% of
 * checks on one key), `degrade` (Redis behind a fault-injecting proxy). Every decision is
 * replayed through the reference algorithms for accuracy.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { defaultPolicies, loadSettings, type Policy } from '../../src/core/index.js';
import { LatencyHistogram } from '../lib/histogram.js';
import { Progress } from '../lib/progress.js';
import { type BenchResult, resultBase } from '../lib/result.js';
import { ServerSampler } from '../lib/server-sampler.js';
import { freePort } from '../../tools/processes.js';
import { redisServerVersion, startRedis } from '../../tools/redis-process.js';
import { startPrivateRedis } from '../../tools/redis-cluster.js';
import { cpuMicrosOfTree, procAvailable } from '../lib/proc-usage.js';
import { LOAD_CPU, loadCpuCount, openTarget, type Target, tasksetAvailable } from '../lib/target.js';
import { DecisionLog, type PhasedAccuracy } from './accuracy.js';
import { startFaultProxy } from './fault-proxy.js';
import {
  GRPC_DOMAIN,
  GRPC_POLICY,
  GRPC_USER_KEY,
  type LoadRun,
  offer,
  type OfferPlan,
  type Protocol,
  PROTOCOLS,
  type UserPicks,
} from './offer.js';
import type { WorkerDone, WorkerMessage } from './offer-worker.js';
import { readRoundTrips, roundTripFigures } from './redis-round-trips.js';

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
   * How the checks travel: `http` (the default), the decision API; `grpc`, Envoy's rate limit
   * service (`ShouldRateLimit` in domain `edge`, one `user_id` descriptor per check, which selects
   * the per-user policy), on the target's gRPC port. The result's target is then `<target> grpc`.
   */
  protocol: Protocol;
  /**
   * normal and hotkey on a started profile: where its limiter keeps state. `redis` (the default,
   * as the seed's service is Redis-backed): a private redis-server on the load generator's CPU,
   * as in degrade. A URL target decides with whatever store it was started with.
   */
  store: 'memory' | 'redis';
  /**
   * normal and hotkey with `--store redis` on a started profile: one redis-server (`single`, the
   * default) or a Redis Cluster of three masters (`cluster`: REDIS_CLUSTER_NODES), on the load
   * generator's CPU either way.
   */
  redis: 'single' | 'cluster';
  /**
   * Load generators: 1 offers the load from the harness's own thread; N > 1 splits the rate and
   * the connections over N worker threads (each with its own seed), for a load one thread cannot
   * offer. Default: one per CPU of the load generator (LOAD_CPU).
   */
  generators: number;
  /** degrade: instances of the profile sharing one Redis (default 1). */
  instances: number;
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
  protocol: 'http',
  store: 'redis',
  redis: 'single',
  generators: loadCpuCount(),
  instances: 1,
};

/** The built-in policies (docs/LIMITER.md): the policy under test, also for the replay. */
function builtInPolicy(name: string): Policy {
  const policy = defaultPolicies(loadSettings({})).find((p) => p.name === name);
  if (!policy) throw new Error(`--policy must be a built-in policy, got ${name}`);
  return policy;
}

/**
 * Throws when the limiter options cannot run: an unknown protocol, or gRPC with a policy the
 * rate limit service's descriptors do not select (only `user_id` is sent, which `edge` maps to
 * per-user).
 */
export function checkLimiterOptions(options: LimiterOptions): void {
  if (options.redis !== 'single' && options.redis !== 'cluster')
    throw new Error(`--redis must be single or cluster, got ${String(options.redis)}`);
  if (!PROTOCOLS.includes(options.protocol))
    throw new Error(`--protocol must be ${PROTOCOLS.join(' or ')}, got ${options.protocol}`);
  if (options.protocol === 'grpc' && options.policy !== GRPC_POLICY)
    throw new Error(
      `--protocol grpc checks the policy that domain '${GRPC_DOMAIN}' maps '${GRPC_USER_KEY}' to, ${GRPC_POLICY}: ` +
        `--policy ${options.policy} runs over HTTP only`,
    );
}

/** The target as results name it: `b`, or `b grpc` for a run over gRPC. */
const named = (target: Target, options: LimiterOptions): Target =>
  options.protocol === 'grpc' ? { ...target, name: `${target.name} grpc` } : target;

/** The cores the generators can keep busy: one per thread, at most the load generator's CPUs. */
const generatorCores = (options: LimiterOptions) =>
  Math.max(1, Math.min(Math.floor(options.generators), loadCpuCount()));

const WORKER = new URL('./offer-worker.js', import.meta.url);

/**
 * Offers `options.rate` checks/s for `durationS` from `options.generators` generators (this
 * thread, or worker threads sharing the rate and connections); every decision goes to `log`.
 */
async function offerSpread(
  instances: readonly Target[],
  options: LimiterOptions,
  users: UserPicks,
  log: DecisionLog | undefined,
  progress: Progress,
  durationS: number,
  keepTimeline = false,
): Promise<LoadRun> {
  const n = Math.max(1, Math.floor(options.generators));
  const grpc = options.protocol === 'grpc';
  const missing = grpc ? instances.find((t) => t.grpcAddress === undefined) : undefined;
  if (missing)
    throw new Error(`--protocol grpc: ${missing.name} has no gRPC address (a URL target needs --grpc host:port)`);
  const plan = (i: number): OfferPlan => ({
    httpUrls: instances.map((t) => t.httpUrl),
    ...(grpc ? { protocol: 'grpc' as const, grpcAddresses: instances.map((t) => t.grpcAddress as string) } : {}),
    rate: options.rate / n,
    connections: Math.max(1, Math.round(options.connections / n)),
    batchSize: options.batchSize,
    policy: options.policy,
    durationS,
    seed: options.seed + 1000 * i,
    users,
    keepTimeline,
    epochMs: performance.timeOrigin + performance.now(),
  });
  if (n === 1) {
    return offer(plan(0), (user, now, allowed, store) => {
      log?.add(user, now, allowed, store);
      progress.count++;
    });
  }
  if (!existsSync(fileURLToPath(WORKER)))
    throw new Error('--generators above 1 runs the compiled harness only: use npm run bench');
  const runs = await Promise.all(
    Array.from(
      { length: n },
      (_, i) =>
        new Promise<WorkerDone>((resolve, reject) => {
          const worker = new Worker(WORKER, { workerData: plan(i) });
          worker.on('message', (m: WorkerMessage) => {
            if ('progress' in m) progress.count += m.progress;
            else resolve(m.done);
          });
          worker.on('error', reject);
          worker.on('exit', (code) => reject(new Error(`a load generator thread exited with code ${code}`)));
        }),
    ),
  );
  const merged: LoadRun = {
    requests: 0,
    requestsByUrl: instances.map(() => 0),
    errors: 0,
    non2xx: 0,
    seconds: Math.max(...runs.map((r) => r.seconds)),
    latency: new LatencyHistogram(),
    stores: {},
    decisionLatency: { sumMs: 0, decisions: 0 },
  };
  for (const r of runs) {
    for (let k = 0; k < r.users.length; k++)
      log?.add(r.users[k] as string, r.now[k] as number, r.allowed[k] as boolean, r.deciders[k]);
    merged.requests += r.requests;
    r.requestsByUrl.forEach((n, i) => ((merged.requestsByUrl[i] as number) += n));
    merged.errors += r.errors;
    merged.non2xx += r.non2xx;
    merged.latency.addEncoded(r.latency);
    merged.decisionLatency.sumMs += r.decisionLatency.sumMs;
    merged.decisionLatency.decisions += r.decisionLatency.decisions;
    for (const [store, count] of Object.entries(r.stores)) merged.stores[store] = (merged.stores[store] ?? 0) + count;
  }
  if (keepTimeline) merged.timeline = runs.flatMap((r) => r.timeline ?? []).sort((x, y) => x.at - y.at);
  return merged;
}

function limiterResult(
  scenario: string,
  target: Target,
  options: LimiterOptions,
  run: LoadRun,
  log: DecisionLog,
  phased: PhasedAccuracy = log.replay(),
): BenchResult {
  const { byPhase: _, ...accuracy } = phased;
  return {
    ...resultBase(scenario, named(target, options), 'checks', options),
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

/** The private Redis of a run, one server or a cluster: its processes, for its CPU time. */
export interface LimiterRedis {
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

async function runOffered(
  scenario: string,
  target: Target,
  options: LimiterOptions,
  hotShare: number,
  redis?: LimiterRedis,
): Promise<BenchResult> {
  checkLimiterOptions(options);
  const policy = builtInPolicy(options.policy);
  const progress = new Progress('checks', options.quiet);
  progress.start();
  try {
    progress.phase = 'warm-up';
    await offerSpread(
      [target],
      { ...options, seed: options.seed + 7 },
      { kind: 'warm' },
      undefined,
      progress,
      options.warmupS,
    );
    progress.phase = 'measure';
    const sampler = new ServerSampler(target, generatorCores(options));
    await sampler.begin();
    // the Redis round trips the target reports: a started profile on Redis, or any URL target
    const roundTripsBefore = redis || !target.serverSettings ? await readRoundTrips(target.httpUrl) : undefined;
    const redisCpu =
      redis && procAvailable() ? () => redis.pids.reduce((sum, pid) => sum + cpuMicrosOfTree(pid), 0) : undefined;
    const redisCpuBefore = redisCpu?.() ?? 0;
    const redisStarted = performance.now();
    const log = new DecisionLog(policy);
    const users: UserPicks = { kind: 'zipf', keys: options.keys, hotShare };
    const run = await offerSpread([target], options, users, log, progress, options.durationS);
    const roundTripsAfter = roundTripsBefore && (await readRoundTrips(target.httpUrl));
    const usage = await sampler.end(log.count);
    const result = limiterResult(scenario, target, options, run, log);
    if (usage) result.server = usage;
    if (hotShare > 0) result.details.hotKeyShare = hotShare;
    if (roundTripsBefore && roundTripsAfter) {
      const { sumMs, decisions } = run.decisionLatency;
      Object.assign(
        result.details,
        roundTripFigures(roundTripsBefore, roundTripsAfter, decisions ? sumMs / decisions : 0),
      );
    }
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

export const runNormal = (t: Target, o: LimiterOptions, redis?: LimiterRedis) => runOffered('normal', t, o, 0, redis);
export const runHotkey = (t: Target, o: LimiterOptions, redis?: LimiterRedis) => runOffered('hotkey', t, o, 0.8, redis);

/**
 * The private Redis a started profile's limiter uses for normal and hotkey with `--store redis`:
 * one redis-server, or (`--redis cluster`) a cluster of three masters without replicas, on the
 * load generator's CPU (as in degrade), so the server's CPU is measured without it; with the
 * settings that point the server at it.
 */
export async function startLimiterRedis(
  kind: LimiterOptions['redis'] = 'single',
): Promise<LimiterRedis & { env: Record<string, string> }> {
  const redis = await startPrivateRedis(kind, tasksetAvailable() ? LOAD_CPU : undefined);
  return { ...redis, env: { LIMITER_STORE: 'redis', ...redis.env } };
}

/** The most false allows and false denies (each, % of all decisions) fail-over may cost: docs/LIMITER.md. */
export const FAIL_OVER_BOUND_PCT = { one: 0.1, more: 0.5 } as const;

/**
 * degrade: the profile's Redis sits behind a FaultProxy, with `options.instances` instances of
 * the profile sharing it (requests go to them in turn). A third of the run is healthy, a third
 * suffers latency spikes (replies 150 ms late, above the 50 ms command timeout) and stalls (no
 * replies at all), the last third is healthy again. Reports the error rate, the share of
 * decisions the fallback took during the fault, how long decisions took to return to Redis, and
 * the false allows and false denies of each phase against one global limiter's replay.
 */
export async function runDegrade(
  profile: string,
  options: LimiterOptions,
  env: Record<string, string> = {},
): Promise<BenchResult> {
  if (profile !== 'a' && profile !== 'b' && profile !== 'go')
    throw new Error('degrade starts its own profile and Redis: --target must be a, b or go');
  checkLimiterOptions(options);
  const count = Math.max(1, Math.floor(options.instances));
  const policy = builtInPolicy(options.policy);
  // Redis on the generator's CPU: the limiter's server CPU is measured without it
  const redis = await startRedis(await freePort(), tasksetAvailable() ? LOAD_CPU : undefined);
  const third = (options.durationS * 1000) / 3;
  // the proxy and its fault program in a thread of their own: see fault-proxy-worker.ts
  const proxy = await startFaultProxy({ upstreamPort: redis.port, faultAfterMs: third, faultForMs: third });
  const instances: Target[] = [];
  const progress = new Progress('checks', options.quiet);
  try {
    for (let i = 0; i < count; i++) {
      instances.push(
        await openTarget(profile, { ...env, LIMITER_STORE: 'redis', REDIS_URL: `redis://127.0.0.1:${proxy.port}` }),
      );
    }
    const target = instances[0] as Target;
    // every instance has counted itself in Redis (fail-over's share is 1/N of the live ones)
    await new Promise((r) => setTimeout(r, 1_500));
    progress.start();
    const log = new DecisionLog(policy);
    progress.phase = 'healthy';
    const epochMs = performance.timeOrigin + performance.now();
    proxy.start((phase) => (progress.phase = phase));
    // one sampler for the first instance: with more, the figures are that instance's
    const sampler = new ServerSampler(target, generatorCores(options));
    await sampler.begin();
    const users: UserPicks = { kind: 'zipf', keys: options.keys, hotShare: 0 };
    const run = await offerSpread(instances, options, users, log, progress, options.durationS, true);
    const usage = await sampler.end(log.count);
    // the phases by the servers' clocks (the same wall clock on one machine)
    const accuracy = log.replay([epochMs + third, epochMs + 2 * third]);
    const result = limiterResult('degrade', target, options, run, log, accuracy);
    const redisVersion = redisServerVersion();
    if (result.provenance && redisVersion) result.provenance.redis = redisVersion;
    if (usage) result.server = usage;
    const timeline = run.timeline ?? [];
    const inFault = timeline.filter((d) => d.at >= third && d.at < 2 * third);
    const fallback = inFault.filter((d) => d.store === 'memory' || d.store === 'none').length;
    const backToRedis = timeline.find((d) => d.at >= 2 * third && d.store === 'redis');
    result.details.instances = count;
    result.details.requestsByInstance = run.requestsByUrl;
    const [before, during, after] = accuracy.byPhase;
    result.details.accuracyByPhase = { before, during, after };
    result.details.faultPhase = {
      decisions: inFault.length,
      fallbackHitRatioPct: inFault.length ? Number(((fallback / inFault.length) * 100).toFixed(2)) : 0,
    };
    result.details.returnToRedisMs = backToRedis ? Math.round(backToRedis.at - 2 * third) : 'never';
    if (!backToRedis) result.failures.push('decisions never returned to Redis after the fault');
    const bound = count === 1 ? FAIL_OVER_BOUND_PCT.one : FAIL_OVER_BOUND_PCT.more;
    for (const [what, pct] of [
      ['false allows', accuracy.falseAllowPct],
      ['false denies', accuracy.falseDenyPct],
    ] as const) {
      if (pct > bound)
        result.failures.push(
          `${what} ${pct.toFixed(3)}% of all decisions, above the ${bound}% bound for ${count} instance(s)`,
        );
    }
    return result;
  } finally {
    progress.stop();
    await Promise.all(instances.map((t) => t.stop()));
    await proxy.close();
    await redis.stop();
  }
}
