import { Logger, Module } from '@nestjs/common';
import type { Settings } from '../core/config/settings.js';
import { LimiterMetrics } from '../metrics/limiter-metrics.js';
import { InstrumentedLimiterStore } from './instrumented-limiter.store.js';
import { POLICIES, SETTINGS } from '../common/settings.module.js';
import { createLimiterStore } from '../core/limiter/create-store.js';
import { Limiter } from '../core/limiter/limiter.js';
import { LimiterStore } from '../core/limiter/limiter-store.js';
import { LimiterService, LOCAL_LIMITER_STORE } from './limiter.service.js';
import { MemoryLimiterStore } from '../core/limiter/memory-limiter.store.js';
import type { Policy } from '../core/limiter/policy.js';

/** The store the settings pick, measured, traced, and logging when it degrades and recovers. */
function configuredStore(settings: Settings, metrics: LimiterMetrics): LimiterStore {
  const logger = new Logger('Limiter');
  const store = createLimiterStore(settings, {
    onRedisLatency: (seconds) => metrics.redisLatency.observe(seconds),
    onDegradedChange: (degraded) =>
      degraded
        ? logger.warn({ msg: 'Redis is failing; the failure mode answers', mode: settings.failureMode })
        : logger.log({ msg: 'Redis decides again' }),
  });
  metrics.watch(store);
  return new InstrumentedLimiterStore(store, metrics);
}

/**
 * The rate limiter behind DI. `LimiterStore` is the store the settings pick (memory, or Redis
 * with its in-memory fallback: see createLimiterStore); `Limiter` decides with the configured
 * policies on it.
 */
@Module({
  providers: [
    { provide: LimiterStore, useFactory: configuredStore, inject: [SETTINGS, LimiterMetrics] },
    {
      provide: Limiter,
      useFactory: (policies: Policy[], store: LimiterStore) => new Limiter(policies, store),
      inject: [POLICIES, LimiterStore],
    },
    { provide: LOCAL_LIMITER_STORE, useFactory: () => new MemoryLimiterStore() },
    LimiterService,
  ],
  exports: [LimiterService, Limiter, LimiterStore],
})
export class LimiterModule {}
