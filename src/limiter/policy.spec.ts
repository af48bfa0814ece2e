import { describe, expect, it } from 'vitest';
import { defaultPolicies, parsePolicies, type Policy, policyKey } from './policy.js';

describe('parsePolicies', () => {
  it('accepts both algorithms', () => {
    const policies = parsePolicies({
      policies: [
        { name: 'a', algorithm: 'token_bucket', scope: ['user'], capacity: 5, refillPerSec: 0.5 },
        { name: 'b', algorithm: 'sliding_window', scope: ['ip', 'route'], limit: 10, windowMs: 1000 },
      ],
    });
    expect(policies.map((p) => p.name)).toEqual(['a', 'b']);
  });

  it.each([
    [{}, 'a "policies" array'],
    [{ policies: [5] }, 'policies[0] must be an object'],
    [{ policies: [{ name: 'x y', algorithm: 'token_bucket', scope: ['ip'], capacity: 1, refillPerSec: 1 }] }, 'policies[0].name'],
    [{ policies: [{ name: 'x', algorithm: 'leaky', scope: ['ip'] }] }, 'policies[0].algorithm'],
    [{ policies: [{ name: 'x', algorithm: 'token_bucket', scope: [], capacity: 1, refillPerSec: 1 }] }, 'policies[0].scope'],
    [{ policies: [{ name: 'x', algorithm: 'token_bucket', scope: ['ip', 'ip'], capacity: 1, refillPerSec: 1 }] }, 'policies[0].scope'],
    [{ policies: [{ name: 'x', algorithm: 'token_bucket', scope: ['host'], capacity: 1, refillPerSec: 1 }] }, 'policies[0].scope'],
    [{ policies: [{ name: 'x', algorithm: 'token_bucket', scope: ['ip'], capacity: 1.5, refillPerSec: 1 }] }, 'policies[0].capacity'],
    [{ policies: [{ name: 'x', algorithm: 'token_bucket', scope: ['ip'], capacity: 1, refillPerSec: 0 }] }, 'policies[0].refillPerSec'],
    [{ policies: [{ name: 'x', algorithm: 'token_bucket', scope: ['ip'], capacity: 1, refillPerSec: 1, limit: 3 }] }, 'policies[0].limit is not a field'],
    [{ policies: [{ name: 'x', algorithm: 'sliding_window', scope: ['ip'], limit: 1e9, windowMs: 2e9 }] }, 'at most 2^50'],
    [
      {
        policies: [
          { name: 'x', algorithm: 'sliding_window', scope: ['ip'], limit: 1, windowMs: 1 },
          { name: 'x', algorithm: 'sliding_window', scope: ['ip'], limit: 1, windowMs: 1 },
        ],
      },
      'policies[1].name',
    ],
  ])('rejects %j: %s', (document, message) => {
    expect(() => parsePolicies(document)).toThrow(message);
  });

  it('ships a valid default set with the chat bucket from the settings', () => {
    const policies = defaultPolicies({ rateLimitCapacity: 7, rateLimitRefillPerSec: 3 });
    expect(parsePolicies({ policies })).toEqual(policies);
    expect(policies.find((p) => p.name === 'chat-connection')).toMatchObject({ capacity: 7, refillPerSec: 3 });
  });
});

describe('policyKey', () => {
  const a: Policy = { name: 'a', algorithm: 'token_bucket', scope: ['user', 'route'], capacity: 1, refillPerSec: 1 };
  const b: Policy = { name: 'b', algorithm: 'token_bucket', scope: ['user'], capacity: 1, refillPerSec: 1 };

  it('is one Redis Cluster hash tag per policy and subject, in scope order', () => {
    expect(policyKey(a, { route: '/x', user: 'u', ip: 'ignored' })).toBe('rl:{a:u:%2Fx}');
  });

  it('never gives two subjects or two policies the same key', () => {
    const keys = [
      policyKey(a, { user: 'u:v', route: 'w' }),
      policyKey(a, { user: 'u', route: 'v:w' }),
      policyKey(a, { user: 'u}', route: '{v' }),
      policyKey(b, { user: 'u' }),
      policyKey({ ...b, name: 'a' }, { user: 'u' }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(key.indexOf('}')).toBe(key.length - 1); // one tag: the whole key
  });
});
