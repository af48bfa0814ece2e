import { describe, expect, it } from 'vitest';
import { ChatCounters } from './chat-counters.js';

describe('ChatCounters', () => {
  it('starts every counter at 0, with exactly the contract types', () => {
    const counters = new ChatCounters();
    expect(counters.framesIn).toStrictEqual({ join: 0, chat: 0, ping: 0, pong: 0, leave: 0, rejected: 0 });
    expect(counters.framesOut).toStrictEqual({ join: 0, chat: 0, leave: 0, pong: 0, error: 0 });
    expect(counters.deliveries).toBe(0);
    expect(counters.rateLimited).toBe(0);
  });

  it('gives each instance its own counters', () => {
    const a = new ChatCounters();
    const b = new ChatCounters();
    a.framesIn.chat++;
    a.framesOut.error += 2;
    expect(b.framesIn.chat).toBe(0);
    expect(b.framesOut.error).toBe(0);
  });
});
