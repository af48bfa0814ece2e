/** Runs one scenario against one target: what the command line, compare and self-tests share. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  CHAT_DEFAULTS,
  CHAT_SERVER_ENV,
  type ChatOptions,
  runBurst,
  runCapacity,
  runChurn,
  runRooms,
  runSteady,
} from './chat/scenarios.js';
import {
  checkLimiterOptions,
  LIMITER_DEFAULTS,
  type LimiterOptions,
  runDegrade,
  runHotkey,
  runNormal,
  startLimiterRedis,
} from './limiter/scenarios.js';
import type { BenchResult } from './lib/result.js';
import { type CpuProfile, summariseProfile } from './lib/cpu-profile.js';
import { redisServerVersion } from '../tools/redis-process.js';
import { isStartedProfile, openTarget, type Target, type TargetOptions } from './lib/target.js';

export const CHAT_SCENARIOS = ['steady', 'burst', 'churn', 'rooms', 'capacity'] as const;
export const LIMITER_SCENARIOS = ['normal', 'hotkey', 'degrade'] as const;
export const SCENARIOS: readonly string[] = [...CHAT_SCENARIOS, ...LIMITER_SCENARIOS];

/** Options given on the command line; anything absent takes the scenario's default. */
export type Overrides = Partial<ChatOptions & LimiterOptions> & { rooms?: number };

const COMMON = { seed: 42, payload: 128, quiet: false, pinned: false };

export function chatOptions(scenario: string, o: Overrides): ChatOptions {
  const d = { churnFraction: 0.1, stepS: 5, maxRate: 1024, ...COMMON, ...CHAT_DEFAULTS[scenario] } as ChatOptions;
  const merged = { ...d, ...stripUndefined(o) } as ChatOptions;
  if (o.rooms !== undefined) merged.roomSize = Math.ceil(merged.clients / o.rooms);
  return merged;
}

export function limiterOptions(o: Overrides): LimiterOptions {
  return { ...COMMON, ...LIMITER_DEFAULTS, ...stripUndefined(o) } as LimiterOptions;
}

export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Starts the target (`a`/`b`/`cluster`: a fresh server with the settings the scenario needs) or
 * uses the URL, runs the scenario, stops what it started.
 */
export async function runScenario(
  scenario: string,
  targetSpec: string,
  overrides: Overrides,
  env: Record<string, string> = {},
  targetOptions: TargetOptions = {},
): Promise<BenchResult> {
  const isChat = (CHAT_SCENARIOS as readonly string[]).includes(scenario);
  if (!isChat && !(LIMITER_SCENARIOS as readonly string[]).includes(scenario)) {
    throw new Error(`unknown scenario '${scenario}'; one of: ${SCENARIOS.join(', ')}`);
  }
  // before anything starts: a protocol the scenario cannot run
  if (isChat && overrides.protocol !== undefined && overrides.protocol !== 'http')
    throw new Error(`--protocol ${overrides.protocol} is for the limiter scenarios (${LIMITER_SCENARIOS.join(', ')})`);
  if (!isChat) checkLimiterOptions(limiterOptions(overrides));
  const clusterFits = isChat
    ? targetOptions.busRedis === 'cluster'
    : scenario !== 'degrade' && isStartedProfile(targetSpec);
  if (overrides.redis === 'cluster' && !clusterFits)
    throw new Error(
      '--redis cluster is for normal and hotkey on a started profile (a or b) with --store redis, or a chat scenario with --bus redis',
    );
  if (scenario === 'degrade') return runDegrade(targetSpec, limiterOptions(overrides), env);
  // normal and hotkey on a started profile: the limiter on a private Redis unless --store memory
  const onRedis = !isChat && isStartedProfile(targetSpec) && limiterOptions(overrides).store === 'redis';
  const redis = onRedis ? await startLimiterRedis(limiterOptions(overrides).redis) : undefined;
  const storeEnv: Record<string, string> = redis?.env ?? {};
  let target: Target;
  try {
    target = await openTarget(targetSpec, { ...(CHAT_SERVER_ENV[scenario] ?? {}), ...storeEnv, ...env }, targetOptions);
  } catch (err) {
    await redis?.stop();
    throw err;
  }
  const profilesBefore = new Set(cpuProfiles(targetOptions.cpuProfileDir));
  let idle: Awaited<ReturnType<Target['stats']>>;
  let result: BenchResult;
  try {
    // a started server's RSS before any load (a URL target's /stats could not say when it started)
    if (target.serverSettings !== undefined) idle = await target.stats();
    switch (scenario) {
      case 'steady':
        result = await runSteady(target, chatOptions(scenario, overrides));
        break;
      case 'burst':
        result = await runBurst(target, chatOptions(scenario, overrides));
        break;
      case 'churn':
        result = await runChurn(target, chatOptions(scenario, overrides));
        break;
      case 'rooms':
        result = await runRooms(target, chatOptions(scenario, overrides));
        break;
      case 'capacity':
        result = await runCapacity(target, chatOptions(scenario, overrides));
        break;
      case 'normal':
        result = withRedisVersion(await runNormal(target, limiterOptions(overrides), redis), redis);
        break;
      default:
        result = withRedisVersion(await runHotkey(target, limiterOptions(overrides), redis), redis);
    }
  } finally {
    await target.stop();
    await redis?.stop();
  }
  if (result.server && typeof idle?.rssBytes === 'number') result.server.rssBytesIdle = idle.rssBytes;
  // the server wrote its profile as it stopped
  const file = cpuProfiles(targetOptions.cpuProfileDir).find((f) => !profilesBefore.has(f));
  if (file) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const summary = summariseProfile(profile, resolve('dist'), result.server?.phase);
    result.cpuProfile = { file: relative(process.cwd(), file), ...summary };
  } else if (targetOptions.cpuProfileDir) {
    result.failures.push(`--cpu-prof: the server wrote no profile into ${targetOptions.cpuProfileDir}`);
  }
  return result;
}

/** The CPU profiles in `dir` (none without a dir). */
function cpuProfiles(dir: string | undefined): string[] {
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f));
}

/**
 * `rounds` rounds of `scenario`, each round every target once in the given order (a fresh
 * server each run): the runs of each target, in the targets' order. `label` names a target in
 * the progress line; `optionsOf` gives a target (by its index) its TargetOptions, `overridesOf`
 * its options over `overrides` (e.g. its protocol).
 */
export async function interleavedRuns(
  scenario: string,
  targets: readonly string[],
  overrides: Overrides,
  rounds: number,
  label: (target: string, index: number) => string = (target) => target,
  optionsOf: (index: number) => TargetOptions = () => ({}),
  overridesOf: (index: number) => Overrides = () => ({}),
): Promise<BenchResult[][]> {
  const runs: BenchResult[][] = targets.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [t, target] of targets.entries()) {
      process.stderr.write(`round ${round + 1}, ${label(target, t)}\n`);
      const own = { ...overrides, ...overridesOf(t) };
      (runs[t] as BenchResult[]).push(await runScenario(scenario, target, own, {}, optionsOf(t)));
    }
  }
  return runs;
}

/** Records the version of the Redis the harness started for the limiter. */
function withRedisVersion(result: BenchResult, redis: unknown): BenchResult {
  const version = redis ? redisServerVersion() : undefined;
  if (version && result.provenance) result.provenance.redis = version;
  return result;
}
