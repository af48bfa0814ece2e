import { describe, expect, it } from 'vitest';
import type { Policy } from '../../src/core/index.js';
import { DecisionLog } from './accuracy.js';

const bucket = { name: 'b', algorithm: 'token_bucket', scope: ['user'], capacity: 1, refillPerSec: 1 } as Policy;

describe('DecisionLog', () => {
  it('finds a false allow and a false deny against the reference', () => {
    const log = new DecisionLog(bucket);
    log.add('k', 0, true, 'redis'); // the full bucket's token
    log.add('k', 500, true, 'redis'); // none back yet: a false allow
    log.add('k', 2_000, false, 'redis'); // one back at 1 000 (the reference spent none at 500): a false deny
    expect(log.replay()).toMatchObject({ decisions: 3, falseAllows: 1, falseDenies: 1 });
  });

  it('checks a denial from the deny cache without consuming, as the store never saw it', () => {
    const log = new DecisionLog(bucket);
    log.add('k', 0, true, 'redis');
    log.add('k', 1_000, false, 'cache'); // the token is back: the cache held the denial too long
    log.add('k', 1_001, true, 'redis'); // Redis still had the token: right
    expect(log.replay()).toMatchObject({ falseAllows: 0, falseDenies: 1 });
  });

  it('compares the decisions of one millisecond as a group', () => {
    const log = new DecisionLog(bucket);
    log.add('k', 0, false, 'redis');
    log.add('k', 0, true, 'redis'); // one of the two was allowed, whichever went first
    expect(log.replay()).toMatchObject({ falseAllows: 0, falseDenies: 0 });
  });
});

describe('DecisionLog by phase', () => {
  it('counts each decision and each false one in the phase of its time', () => {
    const log = new DecisionLog(bucket);
    log.add('k', 0, true, 'redis'); // before 1 000
    log.add('k', 1_500, true, 'memory'); // the token back at 1 000: right
    log.add('k', 1_600, true, 'memory'); // none back: a false allow, in the second phase
    log.add('k', 3_000, true, 'redis'); // the reference has a token again since 2 500: right
    log.add('j', 999, true, 'redis');
    const { byPhase, ...total } = log.replay([1_000, 2_000]);
    expect(total).toMatchObject({ decisions: 5, falseAllows: 1, falseDenies: 0 });
    expect(byPhase.map((p) => [p.decisions, p.falseAllows, p.falseDenies])).toEqual([
      [2, 0, 0],
      [2, 1, 0],
      [1, 0, 0],
    ]);
    expect(byPhase[1]?.falseAllowPct).toBe(50);
  });
});

describe('DecisionLog: over-limit allowances', () => {
  const two = { name: 'b', algorithm: 'token_bucket', scope: ['user'], capacity: 2, refillPerSec: 1 } as Policy;

  it('tells calls allowed past the limit from calls allowed at other moments than the reference', () => {
    const log = new DecisionLog(two);
    log.add('k', 0, true);
    log.add('k', 0, true); // the bucket is empty
    log.add('k', 600, false); // the reference denies too
    log.add('k', 1_000, false); // a token is back: a false deny ...
    log.add('k', 1_200, true); // ... and this one, which the reference denies, a false allow, within the limit
    log.add('k', 1_300, true); // no room at all: past the limit
    expect(log.replay()).toMatchObject({ falseAllows: 2, falseDenies: 1, overLimitAllows: 1 });
  });

  it('counts none for a run the reference agrees with, and carries a debt until room pays it', () => {
    const log = new DecisionLog(two);
    for (const t of [0, 0, 1_000, 2_000]) log.add('k', t, true);
    expect(log.replay()).toMatchObject({ falseAllows: 0, falseDenies: 0, overLimitAllows: 0 });
    const over = new DecisionLog(two);
    for (const t of [0, 0, 0, 1_000, 2_000]) over.add('k', t, true);
    // the third call at 0 is past the limit; calls at the refill rate keep the key one call
    // over (a debt never paid back), which counts once
    expect(over.replay()).toMatchObject({ overLimitAllows: 1 });
    const twice = new DecisionLog(two);
    // over by one, room again by 3 000 (the debt paid), then over by two
    for (const t of [0, 0, 0, 3_000, 3_000, 3_000, 3_000]) twice.add('k', t, true);
    expect(twice.replay()).toMatchObject({ overLimitAllows: 3 });
  });

  it('does the same for a sliding window', () => {
    const window = { name: 'w', algorithm: 'sliding_window', scope: ['user'], limit: 2, windowMs: 1000 } as Policy;
    const log = new DecisionLog(window);
    for (const t of [0, 100, 200]) log.add('k', t, true);
    expect(log.replay()).toMatchObject({ falseAllows: 1, overLimitAllows: 1 });
  });
});

describe('DecisionLog: rounding', () => {
  it('counts no over-limit allowance for a bucket a rounding error short of a token', () => {
    // 0.1 refilled 10 times: 0.9999999999999999 tokens, where the server's own arithmetic had 1
    const tenth = { name: 'b', algorithm: 'token_bucket', scope: ['user'], capacity: 1, refillPerSec: 0.1 } as Policy;
    const log = new DecisionLog(tenth);
    log.add('k', 0, true);
    for (let t = 1000; t < 10_000; t += 1000) log.add('k', t, false);
    log.add('k', 10_000, true);
    expect(log.replay()).toMatchObject({ overLimitAllows: 0 });
  });
});
