import { type DynamicModule, Logger, Module, type Provider } from '@nestjs/common';
import type { Settings } from '../core/config/settings.js';
import { createRedisLimiterStore, type LimiterStoreHooks } from '../core/limiter/create-store.js';
import { Limiter } from '../core/limiter/limiter.js';
import { LimiterStore } from '../core/limiter/limiter-store.js';
import { MemoryLimiterStore } from '../core/limiter/memory-limiter.store.js';
import type { Policy } from '../core/limiter/policy.js';
import { LimiterMetrics } from '../metrics/index.js';
import { InstrumentedLimiterStore } from './instrumented-limiter.store.js';
import { LimiterService, LOCAL_LIMITER_STORE } from './limiter.service.js';

/** The Redis store's latency measured, and its failing and recovering logged. */
function redisHooks(settings: Settings, metrics: LimiterMetrics): LimiterStoreHooks {
  const logger = new Logger('Limiter');
  return {
    onRedisLatency: (seconds) => metrics.redisLatency.observe(seconds),
    onDegradedChange: (degraded) =>
      degraded
        ? logger.warn({ msg: 'Redis is failing; the failure mode answers', mode: settings.failureMode })
        : logger.log({ msg: 'Redis decides again' }),
  };
}

/**
 * The rate limiter behind DI. `forRoot` provides the store the settings pick under the
 * `LimiterStore` token (the same name as its interface, as @nestjs/throttler does with
 * ThrottlerStorage): memory, or Redis behind its breaker and in-memory fallback, whose state it
 * exposes as metrics; each decision counted and traced (InstrumentedLimiterStore). `Limiter`
 * decides with the configured policies on it. Global: the chat, the HTTP API, the throttler and
 * the health checks use it.
 */
@Module({})
export class LimiterModule {
  static forRoot(settings: Settings, policies: Policy[]): DynamicModule {
    const store: Provider =
      settings.limiterStore === 'redis'
        ? {
            provide: LimiterStore,
            useFactory: (metrics: LimiterMetrics) => {
              const redis = createRedisLimiterStore(settings, redisHooks(settings, metrics));
              metrics.watchFallback(redis);
              return new InstrumentedLimiterStore(redis, metrics);
            },
            inject: [LimiterMetrics],
          }
        : {
            provide: LimiterStore,
            useFactory: (metrics: LimiterMetrics) => new InstrumentedLimiterStore(new MemoryLimiterStore(), metrics),
            inject: [LimiterMetrics],
          };
    return {
      module: LimiterModule,
      global: true,
      providers: [
        store,
        {
          provide: Limiter,
          useFactory: (limiterStore: LimiterStore) => new Limiter(policies, limiterStore),
          inject: [LimiterStore],
        },
        { provide: LOCAL_LIMITER_STORE, useFactory: () => new MemoryLimiterStore() },
        LimiterService,
      ],
      exports: [LimiterService, Limiter, LimiterStore],
    };
  }
}
