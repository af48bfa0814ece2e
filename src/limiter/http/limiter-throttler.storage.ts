import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Limiter } from '../../core/limiter/limiter.js';
import { type Policy, policyLimit } from '../../core/limiter/policy.js';

interface ThrottlerStorageRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/**
 * @nestjs/throttler on the limiter's own store and algorithms: every guarded request spends one
 * unit of `policy` under the throttler's key (route and client IP, hashed), in Redis when Redis
 * is configured. The throttler's own ttl/limit are ignored: the policy decides.
 */
export class LimiterThrottlerStorage implements ThrottlerStorage {
  constructor(
    private readonly limiter: Limiter,
    private readonly policy: Policy,
  ) {}

  async increment(key: string): Promise<ThrottlerStorageRecord> {
    const d = await this.limiter.store.decide(`rl:{http:${key}}`, this.policy, 1, true);
    const limit = policyLimit(this.policy);
    return {
      totalHits: d.allowed ? limit - d.remaining : limit + 1,
      timeToExpire: Math.ceil(d.resetMs / 1000),
      isBlocked: !d.allowed,
      timeToBlockExpire: Math.ceil(d.retryAfterMs / 1000),
    };
  }
}
