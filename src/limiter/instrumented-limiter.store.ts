import { context, SpanKind, trace } from '@opentelemetry/api';
import type { LimiterStore, StoreDecision, StoreHealth } from '../core/limiter/limiter-store.js';
import type { Policy } from '../core/limiter/policy.js';
import type { LimiterMetrics } from '../metrics/index.js';
import { tracing } from '../telemetry/index.js';

/**
 * Profile A's view of the configured store: every decision counted by policy, store and outcome,
 * and, when tracing is on, a `limiter decide` span (the Redis command nests under it).
 */
export class InstrumentedLimiterStore implements LimiterStore {
  constructor(
    readonly inner: LimiterStore,
    private readonly metrics: LimiterMetrics,
  ) {}

  decide(key: string, policy: Policy, cost: number, consume: boolean): StoreDecision | Promise<StoreDecision> {
    if (!tracing.enabled) {
      const d = this.inner.decide(key, policy, cost, consume);
      return d instanceof Promise ? d.then((v) => this.count(policy, v)) : this.count(policy, d);
    }
    const span = tracing.tracer.startSpan('limiter decide', {
      kind: SpanKind.INTERNAL,
      attributes: { 'limiter.policy': policy.name, 'limiter.cost': cost, 'limiter.consume': consume },
    });
    const finish = (d: StoreDecision): StoreDecision => {
      span.setAttributes({ 'limiter.store': d.store, 'limiter.allowed': d.allowed });
      span.end();
      return this.count(policy, d);
    };
    const d = context.with(trace.setSpan(context.active(), span), () => this.inner.decide(key, policy, cost, consume));
    if (!(d instanceof Promise)) return finish(d);
    return d.then(finish, (err: unknown) => {
      span.end();
      throw err;
    });
  }

  private count(policy: Policy, d: StoreDecision): StoreDecision {
    this.metrics.decisions.inc({ policy: policy.name, store: d.store, outcome: d.allowed ? 'allowed' : 'denied' });
    return d;
  }

  forget(key: string): void {
    this.inner.forget(key);
  }

  close(): void | Promise<void> {
    return this.inner.close();
  }

  health(): Promise<StoreHealth> {
    return this.inner.health();
  }

  whenReady(timeoutMs: number): Promise<boolean> {
    return this.inner.whenReady?.(timeoutMs) ?? Promise.resolve(true);
  }
}
