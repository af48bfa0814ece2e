import { Inject, Injectable } from '@nestjs/common';
import { SETTINGS } from '../config/settings.module.js';
import type { Settings } from '../config/settings.js';
import type { TokenBucketPolicy } from '../limiter/algorithms/token-bucket.js';
import { chatConnectionPolicy } from '../limiter/chat-policy.js';
import { LimiterService } from '../limiter/limiter.service.js';
import { type FrameError, rateLimitedError } from '../protocol/frames.js';
import type { ChatConnection } from './core/chat-connection.js';

/** The contract's per-connection bucket, on top of the app's LimiterService. */
@Injectable()
export class ConnectionRateLimiter {
  private readonly policy: TokenBucketPolicy;

  constructor(
    private readonly limiter: LimiterService,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.policy = chatConnectionPolicy(settings);
  }

  /** Charges one frame; returns the `rate_limited` error when the bucket is empty. */
  async charge(conn: ChatConnection, id: unknown): Promise<FrameError | undefined> {
    const decision = await this.limiter.consume(conn.limiterKey, this.policy);
    return decision.allowed ? undefined : rateLimitedError(decision.retryAfterMs, id);
  }

  forget(conn: ChatConnection): void {
    this.limiter.forget(conn.limiterKey);
  }
}
