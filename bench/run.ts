/** Runs one scenario against one target: what the command line, compare and self-tests share. */
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
  LIMITER_DEFAULTS,
  type LimiterOptions,
  runDegrade,
  runHotkey,
  runNormal,
  startLimiterRedis,
} from './limiter/scenarios.js';
import type { BenchResult } from './lib/result.js';
import { redisServerVersion } from '../tools/redis-process.js';
import { openTarget, type Target, type TargetOptions } from './lib/target.js';

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

function stripUndefined<T extends object>(o: T): Partial<T> {
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
  if (scenario === 'degrade') return runDegrade(targetSpec, limiterOptions(overrides), env);
  const isChat = (CHAT_SCENARIOS as readonly string[]).includes(scenario);
  if (!isChat && !(LIMITER_SCENARIOS as readonly string[]).includes(scenario)) {
    throw new Error(`unknown scenario '${scenario}'; one of: ${SCENARIOS.join(', ')}`);
  }
  // normal and hotkey on a started profile: the limiter on a private Redis unless --store memory
  const onRedis = !isChat && (targetSpec === 'a' || targetSpec === 'b') && limiterOptions(overrides).store === 'redis';
  const redis = onRedis ? await startLimiterRedis() : undefined;
  const storeEnv: Record<string, string> = redis ? { LIMITER_STORE: 'redis', REDIS_URL: redis.url } : {};
  let target: Target;
  try {
    target = await openTarget(targetSpec, { ...(CHAT_SERVER_ENV[scenario] ?? {}), ...storeEnv, ...env }, targetOptions);
  } catch (err) {
    await redis?.stop();
    throw err;
  }
  try {
    switch (scenario) {
      case 'steady':
        return await runSteady(target, chatOptions(scenario, overrides));
      case 'burst':
        return await runBurst(target, chatOptions(scenario, overrides));
      case 'churn':
        return await runChurn(target, chatOptions(scenario, overrides));
      case 'rooms':
        return await runRooms(target, chatOptions(scenario, overrides));
      case 'capacity':
        return await runCapacity(target, chatOptions(scenario, overrides));
      case 'normal':
        return withRedisVersion(await runNormal(target, limiterOptions(overrides), redis), redis);
      default:
        return withRedisVersion(await runHotkey(target, limiterOptions(overrides), redis), redis);
    }
  } finally {
    await target.stop();
    await redis?.stop();
  }
}

/** Records the version of the Redis the harness started for the limiter. */
function withRedisVersion(result: BenchResult, redis: unknown): BenchResult {
  const version = redis ? redisServerVersion() : undefined;
  if (version && result.provenance) result.provenance.redis = version;
  return result;
}
