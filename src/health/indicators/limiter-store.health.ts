import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { SETTINGS } from '../../common/settings.module.js';
import type { Settings } from '../../core/config/settings.js';
import { FallbackLimiterStore } from '../../core/limiter/fallback-limiter.store.js';
import { InstrumentedLimiterStore } from '../../limiter/instrumented-limiter.store.js';
import { LimiterStore } from '../../core/limiter/limiter-store.js';

/**
 * Can the limiter decide? `up` with the memory store, or while Redis decides; `degraded` while
 * Redis fails and the in-memory fallback decides (fail-over); `down` while Redis fails and the
 * failure mode allows or denies everything without deciding (fail-open, fail-closed).
 */
@Injectable()
export class LimiterStoreHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(LimiterStore) private readonly store: LimiterStore,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async isHealthy<const Key extends string>(key: Key) {
    const session = this.health.check(key);
    const store = this.store instanceof InstrumentedLimiterStore ? this.store.inner : this.store;
    if (!(store instanceof FallbackLimiterStore)) return session.up({ store: 'memory' });
    await store.probe();
    if (store.healthy) return session.up({ store: 'redis' });
    const message = 'Redis is not deciding';
    if (this.settings.failureMode === 'fail-over') return session.degraded({ store: 'memory', message });
    return session.down({ store: 'none', message: `${message}; ${this.settings.failureMode} answers every decision` });
  }
}
