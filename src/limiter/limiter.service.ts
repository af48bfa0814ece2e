import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Limiter } from './limiter.js';
import type { StoreDecision } from './limiter-store.js';
import { MemoryLimiterStore } from './memory-limiter.store.js';
import type { Policy } from './policy.js';

/** Injection token of the store for keys that belong to this process only (chat connections). */
export const LOCAL_LIMITER_STORE = Symbol('LocalLimiterStore');

/**
 * The limiter as the rest of the app sees it: shared decisions through the configured store
 * (`limiter`), and process-local buckets, such as the chat's per-connection one, that never
 * leave memory.
 */
@Injectable()
export class LimiterService implements OnApplicationShutdown {
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

  async onApplicationShutdown(): Promise<void> {
    this.local.close();
    await this.limiter.store.close();
  }
}
