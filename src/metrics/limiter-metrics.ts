import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { FallbackLimiterStore } from '../core/limiter/fallback-limiter.store.js';
import { ROUND_TRIP_BUCKETS_SECONDS } from '../core/limiter/redis/redis-limiter.store.js';

/** The limiter's metrics. Decision counts are kept by InstrumentedLimiterStore. */
export class LimiterMetrics {
  readonly decisions: Counter<'policy' | 'store' | 'outcome'>;
  readonly redisLatency: Histogram;

  constructor(private readonly registry: Registry) {
    this.decisions = new Counter({
      name: 'limiter_decisions_total',
      help: 'Limiter decisions, by policy, deciding store and outcome (allowed | denied).',
      labelNames: ['policy', 'store', 'outcome'],
      registers: [registry],
    });
    this.redisLatency = new Histogram({
      name: 'limiter_redis_command_seconds',
      help: 'Round trip of one limiter decision in Redis (the Lua script), successful ones.',
      buckets: [...ROUND_TRIP_BUCKETS_SECONDS],
      registers: [registry],
    });
  }

  /** Exposes the state of the Redis store's fallback, read at each scrape (LIMITER_STORE=redis). */
  watchFallback(store: FallbackLimiterStore): void {
    new Gauge({
      name: 'limiter_fallback_active',
      help: '1 while Redis is not deciding (breaker open or half-open) and the failure mode answers.',
      registers: [this.registry],
      collect() {
        this.set(store.degraded ? 1 : 0);
      },
    });
    const fallbackCounter = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    fallbackCounter(
      'limiter_fallback_decisions_total',
      'Decisions answered by the failure mode.',
      () => store.stats.fallbackDecisions,
    );
    fallbackCounter(
      'limiter_redis_failures_total',
      'Redis decisions that failed or timed out.',
      () => store.stats.primaryFailures,
    );
    fallbackCounter(
      'limiter_cached_denials_total',
      'Denials answered from the local cache of Redis denials.',
      () => store.stats.cachedDenials,
    );
    fallbackCounter(
      'limiter_handed_back_total',
      'Key states handed back to Redis when it returned (fail-over).',
      () => store.stats.handedBack,
    );
    fallbackCounter(
      'limiter_late_decisions_total',
      'Calls that timed out whose reply came while their answer waited, answered from Redis (fail-over).',
      () => store.stats.lateDecisions,
    );
    new Gauge({
      name: 'limiter_instances',
      help: 'Live instances sharing the limit, as last counted in Redis: fail-over takes 1/N of what is left.',
      registers: [this.registry],
      collect() {
        this.set(store.instances);
      },
    });
  }
}
