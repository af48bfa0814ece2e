import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.js';

describe('CircuitBreaker', () => {
  let now = 0;
  const breaker = () => new CircuitBreaker({ failureThreshold: 3, openMs: 100, clock: () => now });

  it('opens after the threshold of consecutive failures, not before', () => {
    const b = breaker();
    b.failure();
    b.failure();
    b.success(); // the streak is broken
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    b.failure();
    expect(b.state).toBe('open');
    expect(b.allow()).toBe(false);
  });

  it('lets exactly one probe through after openMs; its success closes, its failure reopens', () => {
    now = 0;
    const b = breaker();
    for (let i = 0; i < 3; i++) b.failure();
    now = 99;
    expect(b.allow()).toBe(false);
    now = 100;
    expect(b.allow()).toBe(true);
    expect(b.state).toBe('half-open');
    expect(b.allow()).toBe(false); // the probe is in flight
    b.failure();
    expect(b.state).toBe('open');
    now = 150;
    expect(b.allow()).toBe(false); // open again for a full period
    now = 200;
    expect(b.allow()).toBe(true);
    b.success();
    expect(b.state).toBe('closed');
    expect(b.allow()).toBe(true);
  });

  it('probes at the next multiple of openMs on the clock, so that instances opened at different times probe together', () => {
    const opened = [130, 170, 199].map((at) => {
      now = at;
      const b = breaker();
      for (let i = 0; i < 3; i++) b.failure();
      return b;
    });
    now = 199;
    expect(opened.map((b) => b.allow())).toEqual([false, false, false]);
    now = 200;
    expect(opened.map((b) => b.allow())).toEqual([true, true, true]);
  });
});
