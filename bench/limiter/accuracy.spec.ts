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
