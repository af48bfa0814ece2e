import type { StoreDecision } from '../limiter/limiter-store.js';
import type { Policy } from '../limiter/policy.js';
import type { ClientType } from '../protocol/contract.js';
import { type FrameError, rateLimitedError } from '../protocol/frames.js';
import type { ChatConnection } from './chat-connection.js';
import { ChatCounters } from './chat-counters.js';

/** A process-local token bucket per connection (never shared: a connection lives in one process). */
export interface ConnectionBuckets {
  /** Spends `cost` tokens of `key` under `policy`. */
  consume(key: string, policy: Policy, cost: number): StoreDecision;
  forget(key: string): void;
}

/** A frame's type as it is counted: `rejected` when it failed before its type was known. */
export type ArrivedType = ClientType | 'rejected';

const isPingOrPong = (type: ArrivedType): boolean => type === 'ping' || type === 'pong';

/**
 * What each client frame costs and how every frame is counted, for both profiles
 * (docs/CONTRACT.md, rate limit and order of processing). The one place that charges the
 * per-connection bucket and writes the traffic counters:
 * - a frame is counted by its type when it arrives;
 * - it takes one token on arrival, before it is validated, except a ping or a pong, which is free
 *   when valid; a frame that finds the bucket empty is refused with `rate_limited`, whatever else
 *   is wrong with it;
 * - a refused frame is an error frame to its sender; a ping or pong refused as invalid pays its
 *   token then, and is `rate_limited` instead when the bucket is empty;
 * - frames sent are counted by type, each recipient counted; broadcasts also as deliveries.
 * Profile B calls it from its frame handler; Profile A from the gateway's guard, exception filter
 * and handlers. The counters are plain integers, read by /metrics at scrape time.
 */
export class FrameAccounting {
  readonly counters = new ChatCounters();

  constructor(
    private readonly buckets: ConnectionBuckets,
    private readonly policy: Policy,
  ) {}

  arrived(type: ArrivedType): void {
    this.counters.framesIn[type]++;
  }

  /** Charges a frame as it arrives (a ping or pong waits for its validation); the refusal when the bucket is empty. */
  chargeOnArrival(conn: ChatConnection, type: ArrivedType, ref: unknown): FrameError | undefined {
    return isPingOrPong(type) ? undefined : this.take(conn, ref);
  }

  /** A frame was refused with `error` (validation, a room rule, rate_limited): the error frame to send, counted. */
  refused(conn: ChatConnection, type: ArrivedType, error: FrameError): FrameError {
    let sent = error;
    if (isPingOrPong(type) && error.code === 'invalid_message') sent = this.take(conn, error.ref) ?? error;
    this.counters.framesOut.error++;
    return sent;
  }

  /** A frame sent to one connection: a pong, or a leaver's own `leave`. */
  answered(type: 'pong' | 'leave'): void {
    this.counters.framesOut[type]++;
  }

  /** A room event broadcast to `recipients` members. */
  delivered(type: 'join' | 'chat' | 'leave', recipients: number): void {
    this.counters.framesOut[type] += recipients;
    this.counters.deliveries += recipients;
  }

  /** A closed connection's bucket. */
  forget(conn: ChatConnection): void {
    this.buckets.forget(conn.limiterKey);
  }

  private take(conn: ChatConnection, ref: unknown): FrameError | undefined {
    const decision = this.buckets.consume(conn.limiterKey, this.policy, 1);
    if (decision.allowed) return undefined;
    this.counters.rateLimited++;
    return rateLimitedError(decision.retryAfterMs, ref);
  }
}
