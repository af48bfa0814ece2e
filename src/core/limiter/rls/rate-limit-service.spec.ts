import { describe, expect, it } from 'vitest';
import type { Policy } from '../policy.js';
import { currentLimit } from './rate-limit-service.js';

const window = (limit: number, windowMs: number): Policy => ({
  name: 'w',
  algorithm: 'sliding_window',
  scope: ['ip'],
  limit,
  windowMs,
});
const bucket = (capacity: number, refillPerSec: number): Policy => ({
  name: 'b',
  algorithm: 'token_bucket',
  scope: ['user'],
  capacity,
  refillPerSec,
});

describe('currentLimit: a policy as requests per unit', () => {
  it.each([
    ['a window of a second', window(20, 1000), 20, 'SECOND'],
    ['a window of a minute', window(600, 60_000), 600, 'MINUTE'],
    ['a window of an hour, even when it is a whole number per second', window(7200, 3_600_000), 7200, 'HOUR'],
    ['a window of a day', window(5, 86_400_000), 5, 'DAY'],
    ['a half-second window: per second', window(20, 500), 40, 'SECOND'],
    ['7 per 3 s: per minute', window(7, 3000), 140, 'MINUTE'],
    ['1 per 7 s: per day, rounded down', window(1, 7000), 12342, 'DAY'],
    ['above 2^32 - 1 per second: that', window(1e9, 1), 4_294_967_295, 'SECOND'],
    ['a bucket: its refill rate per second', bucket(100, 10), 10, 'SECOND'],
    ['a bucket refilling 0.5 a second: per minute', bucket(5, 0.5), 30, 'MINUTE'],
    ['a bucket refilling 0.1 a second: per minute (no rounding error)', bucket(5, 0.1), 6, 'MINUTE'],
    ['a bucket refilling 1/7 a second: per day, rounded down', bucket(5, 1 / 7), 12342, 'DAY'],
  ])('%s', (_, policy, requestsPerUnit, unit) => {
    expect(currentLimit(policy)).toEqual({ name: policy.name, requestsPerUnit, unit });
  });
});
