import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { SETTINGS } from '../../common/index.js';
import type { Settings } from '../../core/config/settings.js';
import { LimiterStore } from '../../core/limiter/limiter-store.js';

/**
 * Can the limiter decide? `up` with the memory store, or while Redis decides; `degraded` while
 * Redis fails and the in-memory fallback decides (fail-over); `down` while Redis fails and the
 * failure mode allows or denies everything without deciding (fail-open, fail-closed). Asking
 * also lets the breaker's probe through (LimiterStore.health).
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
    const { status, store } = await this.store.health();
    if (status === 'up') return session.up({ store });
    const message = 'Redis is not deciding';
    if (status === 'degraded') return session.degraded({ store, message });
    return session.down({ store, message: `${message}; ${this.settings.failureMode} answers every decision` });
  }
}
