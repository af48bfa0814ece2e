import type { Settings } from '../config/settings.js';
import { FallbackLimiterStore } from './fallback-limiter.store.js';
import type { LimiterStore } from './limiter-store.js';
import { MemoryLimiterStore } from './memory-limiter.store.js';
import { RedisLimiterStore } from './redis/redis-limiter.store.js';

/**
 * How often a Redis-backed instance counts itself among the live ones (fail-over's share of each
 * limit is 1/N of the instances counted); an instance stops counting 3 periods after its last.
 */
export const INSTANCE_HEARTBEAT_MS = 1_000;

/** What a profile may want to hear from the store it creates. */
export interface LimiterStoreHooks {
  onRedisLatency?: (seconds: number) => void;
  onDegradedChange?: (degraded: boolean) => void;
}

/** The store the settings ask for: memory, or Redis behind the breaker with its failure mode. */
export function createLimiterStore(settings: Settings, hooks: LimiterStoreHooks = {}): LimiterStore {
  return settings.limiterStore === 'memory' ? new MemoryLimiterStore() : createRedisLimiterStore(settings, hooks);
}

/** Redis behind the breaker, with the failure mode and the denial cache the settings ask for. */
export function createRedisLimiterStore(settings: Settings, hooks: LimiterStoreHooks = {}): FallbackLimiterStore {
  return new FallbackLimiterStore(
    new RedisLimiterStore({
      url: settings.redisUrl,
      clusterNodes: settings.redisClusterNodes,
      commandTimeoutMs: settings.redisTimeoutMs,
      onLatency: hooks.onRedisLatency,
    }),
    new MemoryLimiterStore(),
    {
      mode: settings.failureMode,
      breaker: { failureThreshold: settings.breakerFailures, openMs: settings.breakerOpenMs },
      denyCacheMs: settings.denyCacheMs,
      heartbeatMs: INSTANCE_HEARTBEAT_MS,
      callTimeoutMs: settings.redisTimeoutMs,
      onDegradedChange: hooks.onDegradedChange,
    },
  );
}
