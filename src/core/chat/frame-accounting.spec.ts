import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { MemoryLimiterStore } from '../limiter/memory-limiter.store.js';
import { chatConnectionPolicy } from '../limiter/policy.js';
import { FrameError } from '../protocol/frames.js';
import { ChatConnection } from './chat-connection.js';
import { FrameAccounting } from './frame-accounting.js';

/** Two tokens, one back a second, on a clock the test moves. */
function setup() {
  let now = 1_000_000;
  const store = new MemoryLimiterStore({ clock: () => now, sweepIntervalMs: 0 });
  const accounting = new FrameAccounting(
    { consume: (key, policy, cost) => store.decide(key, policy, cost, true), forget: (key) => store.forget(key) },
    chatConnectionPolicy({ rateLimitCapacity: 2, rateLimitRefillPerSec: 1 }),
  );
  const conn = new ChatConnection(7, {} as WebSocket);
  return { accounting, conn, store, tick: (ms: number) => (now += ms) };
}

const invalid = (ref?: string) => new FrameError('invalid_message', 'bad', ref);

describe('FrameAccounting: what a frame costs', () => {
  it('charges every frame but ping and pong on arrival, and refuses with rate_limited once the bucket is empty', () => {
    const { accounting, conn } = setup();
    expect(accounting.chargeOnArrival(conn, 'join', 'j1')).toBeUndefined();
    expect(accounting.chargeOnArrival(conn, 'rejected', undefined)).toBeUndefined();
    const refusal = accounting.chargeOnArrival(conn, 'chat', 'c1');
    expect(refusal).toMatchObject({ code: 'rate_limited', ref: 'c1', retryAfterMs: 1000 });
    expect(accounting.counters.rateLimited).toBe(1);
    // ping and pong wait for their validation: free on arrival, even with an empty bucket
    expect(accounting.chargeOnArrival(conn, 'ping', 'p')).toBeUndefined();
    expect(accounting.chargeOnArrival(conn, 'pong', 'q')).toBeUndefined();
    expect(accounting.counters.rateLimited).toBe(1);
  });

  it('charges an invalid ping or pong when it is refused, rate_limited if the bucket is empty', () => {
    const { accounting, conn } = setup();
    expect(accounting.refused(conn, 'ping', invalid('p1'))).toMatchObject({ code: 'invalid_message', ref: 'p1' });
    expect(accounting.refused(conn, 'pong', invalid('p2'))).toMatchObject({ code: 'invalid_message', ref: 'p2' });
    // two tokens spent: the third invalid ping is refused with rate_limited, its ref kept
    expect(accounting.refused(conn, 'ping', invalid('p3'))).toMatchObject({ code: 'rate_limited', ref: 'p3' });
    expect(accounting.counters.rateLimited).toBe(1);
    expect(accounting.counters.framesOut.error).toBe(3);
  });

  it('charges nothing more for any other refusal', () => {
    const { accounting, conn } = setup();
    const notJoined = new FrameError('not_joined', 'not in that room', 'l1');
    expect(accounting.refused(conn, 'leave', notJoined)).toBe(notJoined);
    expect(accounting.refused(conn, 'chat', invalid('c1'))).toMatchObject({ code: 'invalid_message' });
    const limited = new FrameError('rate_limited', 'slow down', 'x');
    expect(accounting.refused(conn, 'ping', limited)).toBe(limited); // already charged on arrival or not at all
    // the bucket is still full
    expect(accounting.chargeOnArrival(conn, 'join', undefined)).toBeUndefined();
    expect(accounting.chargeOnArrival(conn, 'join', undefined)).toBeUndefined();
    expect(accounting.chargeOnArrival(conn, 'join', undefined)).toMatchObject({ code: 'rate_limited' });
    expect(accounting.counters.framesOut.error).toBe(3);
  });

  it('refills at the policy rate and forgets a closed connection', () => {
    const { accounting, conn, tick } = setup();
    accounting.chargeOnArrival(conn, 'chat', undefined);
    accounting.chargeOnArrival(conn, 'chat', undefined);
    expect(accounting.chargeOnArrival(conn, 'chat', undefined)).toMatchObject({ retryAfterMs: 1000 });
    tick(1000);
    expect(accounting.chargeOnArrival(conn, 'chat', undefined)).toBeUndefined();
    expect(accounting.chargeOnArrival(conn, 'chat', undefined)).toMatchObject({ code: 'rate_limited' });
    accounting.forget(conn);
    expect(accounting.chargeOnArrival(conn, 'chat', undefined)).toBeUndefined(); // a new, full bucket
  });
});

describe('FrameAccounting: the traffic counters', () => {
  it('counts frames in by type, answers and broadcasts by type, deliveries of broadcasts only', () => {
    const { accounting } = setup();
    for (const type of ['join', 'chat', 'chat', 'ping', 'pong', 'leave', 'rejected'] as const) accounting.arrived(type);
    accounting.answered('pong');
    accounting.answered('leave');
    accounting.delivered('join', 3);
    accounting.delivered('chat', 4);
    accounting.delivered('leave', 2);
    expect(accounting.counters.framesIn).toEqual({ join: 1, chat: 2, ping: 1, pong: 1, leave: 1, rejected: 1 });
    expect(accounting.counters.framesOut).toEqual({ join: 3, chat: 4, leave: 3, pong: 1, error: 0 });
    expect(accounting.counters.deliveries).toBe(9);
  });
});
