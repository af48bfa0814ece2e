import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Limiter, STORE_CONNECT_WAIT_MS } from '../core/limiter/limiter.js';
import type { StoreDecision } from '../core/limiter/limiter-store.js';
import { MemoryLimiterStore } from '../core/limiter/memory-limiter.store.js';
import type { Policy } from '../core/limiter/policy.js';

/** Injection token of the store for keys that belong to this process only (chat connections). */
export const LOCAL_LIMITER_STORE = Symbol('LocalLimiterStore');

/**
 * The limiter as the rest of the app sees it: shared decisions through the configured store
 * (`limiter`), and process-local buckets, such as the chat's per-connection one, that never
 * leave memory.
 */
@Injectable()
export class LimiterService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Limiter');

  constructor(
    readonly limiter: Limiter,
    @Inject(LOCAL_LIMITER_STORE) private readonly local: MemoryLimiterStore,
  ) {}

  /** Spends `cost` from a process-local key. */
  consumeLocal(key: string, policy: Policy, cost = 1): StoreDecision {
    return this.local.decide(key, policy, cost, true);
  }

  forgetLocal(key: string): void {
    this.local.forget(key);
  }

  /** Gives a remote store a moment to connect before the first request (it fails over meanwhile). */
  async onApplicationBootstrap(): Promise<void> {
    if (this.limiter.store.whenReady && !(await this.limiter.store.whenReady(STORE_CONNECT_WAIT_MS))) {
      this.logger.warn('the limiter store is not reachable yet; decisions fall back until it is');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.local.close();
    await this.limiter.store.close();
  }
}
