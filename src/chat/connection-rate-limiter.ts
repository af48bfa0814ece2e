import { Inject, Injectable } from '@nestjs/common';
import { SETTINGS } from '../common/settings.module.js';
import type { Settings } from '../core/config/settings.js';
import { LimiterService } from '../limiter/limiter.service.js';
import { chatConnectionPolicy, type Policy } from '../core/limiter/policy.js';
import { type FrameError, rateLimitedError } from '../core/protocol/frames.js';
import type { ChatConnection } from '../core/chat/chat-connection.js';
import type { ChatCounters } from '../core/chat/chat-counters.js';
import { ConnectionRegistry } from '../core/chat/connection-registry.js';

/** The contract's per-connection bucket, a process-local key of the app's LimiterService. */
@Injectable()
export class ConnectionRateLimiter {
  private readonly policy: Policy;

  private readonly counters: ChatCounters;

  constructor(
    private readonly limiter: LimiterService,
    connections: ConnectionRegistry,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.policy = chatConnectionPolicy(settings);
    this.counters = connections.counters;
  }

  /** Charges one frame; returns the `rate_limited` error when the bucket is empty. */
  charge(conn: ChatConnection, id: unknown): FrameError | undefined {
    const decision = this.limiter.consumeLocal(conn.limiterKey, this.policy);
    if (decision.allowed) return undefined;
    this.counters.rateLimited++;
    return rateLimitedError(decision.retryAfterMs, id);
  }

  forget(conn: ChatConnection): void {
    this.limiter.forgetLocal(conn.limiterKey);
  }
}
