import type { Redis, RedisOptions } from 'ioredis';
import type { AlgorithmState } from '../algorithms/index.js';
import type { Clock, RemoteDecision, RemoteLimiterStore, StoreHealth } from '../limiter-store.js';
import type { Policy } from '../policy.js';
import { INSTANCES_SCRIPT, LIMITER_SCRIPT } from './limiter-script.js';
import { type ClusterSeeds, failFastClient } from '../../redis/fail-fast-client.js';
import { RedisTimeoutError, withinTimeout } from '../../redis/within-timeout.js';

/**
 * The buckets (seconds) in which both profiles publish each decision's Redis round trip on
 * /metrics, as the histogram `limiter_redis_command_seconds` (RedisLimiterStoreOptions.onLatency).
 */
export const ROUND_TRIP_BUCKETS_SECONDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
];

/** allowed, remaining, retryAfterMs, resetMs, now, then the state: tokens and ts (strings) | start, cur, prev. */
type ScriptReply = [number, number, number, number, number, number | string, number | string, number?];

interface LimiterCommands {
  rateLimit(key: string, ...args: (string | number)[]): Promise<ScriptReply>;
  limiterInstances(key: string, id: string, ttlMs: number, leaving: 0 | 1): Promise<number>;
}

/** The sorted set of live instances (member: an instance's id, score: when it stops counting). */
const INSTANCES_KEY = 'rl:instances';

const NOTHING_HANDED_BACK: readonly (string | number)[] = [];

/** The script's reply as a decision with the key's state after it. */
function decision(reply: ScriptReply, tb: boolean): RemoteDecision {
  const [allowed, remaining, retryAfterMs, resetMs, now, a, b, c] = reply;
  const state: AlgorithmState = tb
    ? { tokens: Number(a), ts: Number(b) }
    : { start: a as number, cur: b as number, prev: c as number };
  return { allowed: allowed === 1, remaining, retryAfterMs, resetMs, now, store: 'redis', state };
}

export interface RedisLimiterStoreOptions {
  url: string;
  /**
   * Seeds of a Redis Cluster: when given, the store uses ioredis' cluster client instead of
   * `url`. Every decision is one script on one key, so on one slot; `rl:instances` is one key too.
   */
  clusterNodes?: ClusterSeeds;
  /**
   * A decision with no reply read within this time is rejected (and counts as a failure); a
   * reply already in the socket when it passes still counts (withinTimeout).
   */
  commandTimeoutMs: number;
  /** Extra TTL past the moment a key's state expires, so a key never vanishes early. */
  ttlSlackMs?: number;
  /** Tests only: decide at this clock instead of Redis TIME. */
  clock?: Clock;
  /** Passed through to ioredis. */
  redis?: RedisOptions;
  /**
   * Told the round-trip time of each successful decision, in seconds: from the command's call to
   * its reply's handling, so it includes the wait in this process's event loop.
   */
  onLatency?: (seconds: number) => void;
}

/**
 * Limiter state in Redis: one round trip per decision (EVALSHA of LIMITER_SCRIPT, ioredis
 * auto-pipelining batches concurrent decisions), atomic under any concurrency, Redis TIME as the
 * clock, a TTL on every key. No offline queue: while Redis is unreachable a decision fails at
 * once instead of waiting, and the caller falls back.
 */
export class RedisLimiterStore implements RemoteLimiterStore {
  /** One Redis, or a cluster: both answer the commands used here alike. */
  readonly redis: Redis & LimiterCommands;
  private readonly slack: number;
  private readonly clock: Clock | undefined;
  private readonly onLatency: ((seconds: number) => void) | undefined;
  private readonly timeoutMs: number;

  constructor(options: RedisLimiterStoreOptions) {
    // fails fast: the breaker answers while Redis cannot, and decides when decisions come back
    this.redis = failFastClient(options.url, options.clusterNodes, {
      lazyConnect: false,
      ...options.redis,
    }) as Redis & LimiterCommands;
    // Connection errors are reported through failed decisions; without a listener ioredis logs them.
    this.redis.on('error', () => {});
    this.redis.defineCommand('rateLimit', { numberOfKeys: 1, lua: LIMITER_SCRIPT });
    this.redis.defineCommand('limiterInstances', { numberOfKeys: 1, lua: INSTANCES_SCRIPT });
    this.slack = options.ttlSlackMs ?? 1_000;
    this.timeoutMs = options.commandTimeoutMs;
    this.clock = options.clock;
    this.onLatency = options.onLatency;
  }

  async decide(
    key: string,
    policy: Policy,
    cost: number,
    consume: boolean,
    handBack?: AlgorithmState,
  ): Promise<RemoteDecision> {
    const started = this.onLatency ? performance.now() : 0;
    const tb = policy.algorithm === 'token_bucket';
    const algorithm = tb ? 'tb' : 'sw';
    const p1 = tb ? policy.capacity : policy.limit;
    const p2 = tb ? policy.refillPerSec : policy.windowMs;
    const now = this.clock ? this.clock() : -1;
    const flag = consume ? 1 : 0;
    const handedBack =
      handBack === undefined
        ? NOTHING_HANDED_BACK
        : 'tokens' in handBack
          ? [String(handBack.tokens), handBack.ts]
          : [handBack.start, handBack.cur, handBack.prev];
    const command = this.redis.rateLimit(key, algorithm, p1, p2, cost, flag, now, this.slack, ...handedBack);
    let reply: ScriptReply;
    try {
      reply = await withinTimeout(command, this.timeoutMs);
    } catch (err) {
      // a late reply is still this call's decision, applied in Redis: readable as one
      if (err instanceof RedisTimeoutError)
        (err as RedisTimeoutError<RemoteDecision>).decode = (r) => decision(r as ScriptReply, tb);
      throw err;
    }
    this.onLatency?.((performance.now() - started) / 1000);
    return decision(reply, tb);
  }

  async register(id: string, ttlMs: number, leaving = false): Promise<number> {
    return withinTimeout(this.redis.limiterInstances(INSTANCES_KEY, id, ttlMs, leaving ? 1 : 0), this.timeoutMs);
  }

  forget(key: string): void {
    this.redis.del(key).catch(() => {});
  }

  /** True once connected and ready for commands. */
  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  async ping(): Promise<void> {
    await withinTimeout(this.redis.ping(), this.timeoutMs);
  }

  /** Up while connected (behind FallbackLimiterStore, which decides what answers otherwise). */
  health(): Promise<StoreHealth> {
    return Promise.resolve({ status: this.ready ? 'up' : 'down', store: 'redis' });
  }

  /** Resolves true once ready, or false after `timeoutMs` (decisions fail over meanwhile). */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.redis.on('ready', onReady);
    });
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
