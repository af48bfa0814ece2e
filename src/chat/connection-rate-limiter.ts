import { Inject, Injectable } from '@nestjs/common';
import { SETTINGS } from '../config/settings.module.js';
import type { Settings } from '../config/settings.js';
import { LimiterService } from '../limiter/limiter.service.js';
import { chatConnectionPolicy, type Policy } from '../limiter/policy.js';
import { type FrameError, rateLimitedError } from '../protocol/frames.js';
import type { ChatConnection } from './core/chat-connection.js';

/** The contract's per-connection bucket, a process-local key of the app's LimiterService. */
@Injectable()
export class ConnectionRateLimiter {
  private readonly policy: Policy;

  constructor(
    private readonly limiter: LimiterService,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.policy = chatConnectionPolicy(settings);
  }

  /** Charges one frame; returns the `rate_limited` error when the bucket is empty. */
  charge(conn: ChatConnection, id: unknown): FrameError | undefined {
    const decision = this.limiter.consumeLocal(conn.limiterKey, this.policy);
    return decision.allowed ? undefined : rateLimitedError(decision.retryAfterMs, id);
  }

  forget(conn: ChatConnection): void {
    this.limiter.forgetLocal(conn.limiterKey);
  }
}
