/**
 * test/vectors/limiter.json (docs/LIMITER.md, from an independent implementation) on the pure
 * algorithms: each case on a fresh state, each step at its own `now`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Policy } from '../policy.js';
import { decide, initialState } from './index.js';

interface Step {
  now: number;
  op: 'check' | 'consume';
  cost: number;
  expect: { allowed: boolean; remaining: number; retryAfterMs: number; resetMs: number };
}
interface Case {
  name: string;
  policy: string;
  steps: Step[];
}
const vectors: { policies: Policy[]; cases: Case[] } = JSON.parse(
  readFileSync(new URL('../../../../test/vectors/limiter.json', import.meta.url), 'utf8'),
);
const policies = new Map(vectors.policies.map((p) => [p.name, p]));

describe('limiter vectors on the algorithms', () => {
  it('has cases for both algorithms', () => {
    const algorithms = new Set(vectors.cases.map((c) => policies.get(c.policy)?.algorithm));
    expect([...algorithms].sort()).toEqual(['sliding_window', 'token_bucket']);
  });

  it.each(vectors.cases)('$name', (c) => {
    const policy = policies.get(c.policy) as Policy;
    const state = initialState(policy, c.steps[0]?.now as number);
    for (const [i, step] of c.steps.entries()) {
      const d = decide(state, policy, step.now, step.cost, step.op === 'consume');
      expect({ step: i, ...d }).toEqual({ step: i, ...step.expect });
    }
  });
});
