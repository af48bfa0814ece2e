import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { LimiterDecision, TokenBucketPolicy } from './algorithms/token-bucket.js';
import { LimiterStore } from './limiter-store.js';

/** The limiter as the rest of the app sees it; the store behind it is chosen by LimiterModule. */
@Injectable()
export class LimiterService implements OnApplicationShutdown {
  constructor(@Inject(LimiterStore) private readonly store: LimiterStore) {}

  get storeKind(): string {
    return this.store.kind;
  }

  /** Spends `cost` tokens of `key` if it has them. */
  consume(key: string, policy: TokenBucketPolicy, cost = 1): LimiterDecision | Promise<LimiterDecision> {
    return this.store.tokenBucket(key, policy, cost, true);
  }

  /** Whether `cost` tokens are available, spending nothing. */
  check(key: string, policy: TokenBucketPolicy, cost = 1): LimiterDecision | Promise<LimiterDecision> {
    return this.store.tokenBucket(key, policy, cost, false);
  }

  forget(key: string): void {
    this.store.forget(key);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
