import { Module } from '@nestjs/common';
import { POLICIES, SETTINGS } from '../config/settings.module.js';
import { createLimiterStore } from './create-store.js';
import { Limiter } from './limiter.js';
import { LimiterStore } from './limiter-store.js';
import { LimiterService, LOCAL_LIMITER_STORE } from './limiter.service.js';
import { MemoryLimiterStore } from './memory-limiter.store.js';
import type { Policy } from './policy.js';

/**
 * The rate limiter behind DI. `LimiterStore` is the store the settings pick (memory, or Redis
 * with its in-memory fallback: see createLimiterStore); `Limiter` decides with the configured
 * policies on it.
 */
@Module({
  providers: [
    { provide: LimiterStore, useFactory: createLimiterStore, inject: [SETTINGS] },
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
