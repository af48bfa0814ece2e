import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/settings.js';
import {
  CHAT_CONNECTION_POLICY,
  chatConnectionPolicy,
  defaultPolicies,
  MAX_SUBJECT_LENGTH,
  parsePolicies,
  type Policy,
  PolicyError,
  policyKey,
  policyLimit,
  SCOPE_FIELDS,
} from './policy.js';

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
    [
      { policies: [{ name: 'x y', algorithm: 'token_bucket', scope: ['ip'], capacity: 1, refillPerSec: 1 }] },
      'policies[0].name',
    ],
    [{ policies: [{ name: 'x', algorithm: 'leaky', scope: ['ip'] }] }, 'policies[0].algorithm'],
    [
      { policies: [{ name: 'x', algorithm: 'token_bucket', scope: [], capacity: 1, refillPerSec: 1 }] },
      'policies[0].scope',
    ],
    [
      { policies: [{ name: 'x', algorithm: 'token_bucket', scope: ['ip', 'ip'], capacity: 1, refillPerSec: 1 }] },
      'policies[0].scope',
    ],
    [
      { policies: [{ name: 'x', algorithm: 'token_bucket', scope: ['host'], capacity: 1, refillPerSec: 1 }] },
      'policies[0].scope',
    ],
    [
      { policies: [{ name: 'x', algorithm: 'token_bucket', scope: ['ip'], capacity: 1.5, refillPerSec: 1 }] },
      'policies[0].capacity',
    ],
    [
      { policies: [{ name: 'x', algorithm: 'token_bucket', scope: ['ip'], capacity: 1, refillPerSec: 0 }] },
      'policies[0].refillPerSec',
    ],
    [
      { policies: [{ name: 'x', algorithm: 'token_bucket', scope: ['ip'], capacity: 1, refillPerSec: 1, limit: 3 }] },
      'policies[0].limit is not a field',
    ],
    [
      { policies: [{ name: 'x', algorithm: 'sliding_window', scope: ['ip'], limit: 1e9, windowMs: 2e9 }] },
      'at most 2^50',
    ],
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

  it('never throws on a lone surrogate (the request checks refuse them): WTF-8 bytes, distinct keys', () => {
    const key = (user: string) => policyKey(b, { user });
    expect(key('\ud800')).toBe('rl:{b:%ED%A0%80}');
    expect(key('\udfff')).toBe('rl:{b:%ED%BF%BF}');
    expect(key('a\udc00b:')).toBe('rl:{b:a%ED%B0%80b%3A}');
    expect(key('\ud800\ud800')).toBe('rl:{b:%ED%A0%80%ED%A0%80}');
    expect(key('\udc00\ud800')).toBe('rl:{b:%ED%B0%80%ED%A0%80}'); // a low then a high: no pair
    // a well-formed pair next to a lone surrogate stays one 4-byte UTF-8 character
    expect(key('\ud83d\ude00\ud800')).toBe('rl:{b:%F0%9F%98%80%ED%A0%80}');
    expect(key('\ud800\ud83d\ude00')).toBe('rl:{b:%ED%A0%80%F0%9F%98%80}');
    const users = ['\ud800', '\udbff', '\udc00', '\ufffd', '\ud800\udc00', '%ED%A0%80', '\ud800\ud800', ''];
    expect(new Set(users.map(key)).size).toBe(users.length);
  });
});

const tb = (over: Record<string, unknown> = {}) => ({
  name: 'tb',
  algorithm: 'token_bucket',
  scope: ['ip'],
  capacity: 1,
  refillPerSec: 1,
  ...over,
});
const sw = (over: Record<string, unknown> = {}) => ({
  name: 'sw',
  algorithm: 'sliding_window',
  scope: ['ip'],
  limit: 1,
  windowMs: 1,
  ...over,
});

/** The PolicyError that parsePolicies throws for `document`. */
function refusal(document: unknown): PolicyError {
  try {
    parsePolicies(document);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return err as PolicyError;
  }
  throw new Error('parsePolicies accepted the document');
}

describe('parsePolicies, exactly', () => {
  it('throws a named PolicyError, a kind of ConfigError', () => {
    const err = refusal({ policies: [5] });
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.name).toBe('PolicyError');
  });

  it.each([
    ['null', null],
    ['a string', 'policies'],
    ['a number', 5],
    ['an object without policies', {}],
    ['policies not a list', { policies: { name: 'x' } }],
    ['a function with a policies list', Object.assign(() => undefined, { policies: [] })],
  ])('refuses %s as a whole', (_name, document) => {
    expect(refusal(document).message).toBe('the policy file must hold an object with a "policies" array');
  });

  it('accepts an empty list', () => {
    expect(parsePolicies({ policies: [] })).toEqual([]);
  });

  it.each([
    ['the smallest numbers', tb()],
    ['the largest capacity and rate', tb({ capacity: 1e9, refillPerSec: 1e9 })],
    ['a tiny rate', tb({ refillPerSec: 1e-9 })],
    ['every scope field', tb({ scope: ['client', 'route', 'ip', 'user'] })],
    ['a 64-character name', tb({ name: 'a'.repeat(64) })],
    ['the smallest window', sw()],
    ['the largest limit', sw({ limit: 1e9 })],
    ['the longest window', sw({ windowMs: 2_678_400_000 })],
    ['L * W of exactly 2^50', sw({ limit: 2 ** 20, windowMs: 2 ** 30 })],
  ])('accepts %s', (_name, policy) => {
    expect(parsePolicies({ policies: [policy] })).toEqual([policy]);
  });

  const scopeRule = 'must be a non-empty list of distinct fields among user, ip, route, client';
  it.each([
    ['an item that is null', null, ['policies[0] must be an object']],
    ['an item that is a list', [tb()], ['policies[0] must be an object']],
    ['an item that is a string', 'tb', ['policies[0] must be an object']],
    ['a name that is a number', tb({ name: 5 }), ['policies[0].name must match ^[A-Za-z0-9_.-]{1,64}$']],
    ['a missing name', tb({ name: undefined }), ['policies[0].name must match ^[A-Za-z0-9_.-]{1,64}$']],
    ['a 65-character name', tb({ name: 'a'.repeat(65) }), ['policies[0].name must match ^[A-Za-z0-9_.-]{1,64}$']],
    ['a scope that is a string', tb({ scope: 'ip' }), [`policies[0].scope ${scopeRule}`]],
    ['a scope with an unknown field', tb({ scope: ['ip', 'host'] }), [`policies[0].scope ${scopeRule}`]],
    [
      'an unknown algorithm',
      { name: 'x', algorithm: 'leaky', scope: ['ip'], rate: 1 },
      ["policies[0].algorithm must be 'token_bucket' or 'sliding_window'"],
    ],
    ['a capacity of 0', tb({ capacity: 0 }), ['policies[0].capacity must be an integer from 1 to 1e9']],
    ['a capacity above 1e9', tb({ capacity: 1e9 + 1 }), ['policies[0].capacity must be an integer from 1 to 1e9']],
    ['a capacity as a string', tb({ capacity: '5' }), ['policies[0].capacity must be an integer from 1 to 1e9']],
    [
      'a rate as a string',
      tb({ refillPerSec: '5' }),
      ['policies[0].refillPerSec must be a number above 0 and at most 1e9'],
    ],
    [
      'a negative rate',
      tb({ refillPerSec: -1 }),
      ['policies[0].refillPerSec must be a number above 0 and at most 1e9'],
    ],
    [
      'a rate that is not a number',
      tb({ refillPerSec: Number.NaN }),
      ['policies[0].refillPerSec must be a number above 0 and at most 1e9'],
    ],
    [
      'a rate above 1e9',
      tb({ refillPerSec: 1e9 + 0.5 }),
      ['policies[0].refillPerSec must be a number above 0 and at most 1e9'],
    ],
    ['a limit of 0', sw({ limit: 0 }), ['policies[0].limit must be an integer from 1 to 1e9']],
    ['a limit above 1e9', sw({ limit: 1e9 + 1 }), ['policies[0].limit must be an integer from 1 to 1e9']],
    ['a window of 0', sw({ windowMs: 0 }), ['policies[0].windowMs must be an integer from 1 to 2678400000 (31 days)']],
    [
      'a window over 31 days',
      sw({ windowMs: 2_678_400_001 }),
      ['policies[0].windowMs must be an integer from 1 to 2678400000 (31 days)'],
    ],
    [
      'a fractional window',
      sw({ windowMs: 1.5 }),
      ['policies[0].windowMs must be an integer from 1 to 2678400000 (31 days)'],
    ],
    [
      'L * W above 2^50',
      sw({ limit: 2 ** 20, windowMs: 2 ** 30 + 1 }),
      ['policies[0].limit times windowMs must be at most 2^50'],
    ],
    // a bad limit or window is reported alone, not also as a product above 2^50
    ['a huge bad limit', sw({ limit: 2e9, windowMs: 1e9 }), ['policies[0].limit must be an integer from 1 to 1e9']],
    [
      'a huge bad window',
      sw({ limit: 1e9, windowMs: 3e9 }),
      ['policies[0].windowMs must be an integer from 1 to 2678400000 (31 days)'],
    ],
    [
      'a sliding-window field in a bucket',
      tb({ windowMs: 1 }),
      ['policies[0].windowMs is not a field of this algorithm'],
    ],
    [
      'a bucket field in a sliding window',
      sw({ capacity: 1 }),
      ['policies[0].capacity is not a field of this algorithm'],
    ],
    [
      'every problem of one policy, in order',
      { name: '', algorithm: 'token_bucket', scope: [], capacity: 0, refillPerSec: 0, extra: 1 },
      [
        'policies[0].name must match ^[A-Za-z0-9_.-]{1,64}$',
        `policies[0].scope ${scopeRule}`,
        'policies[0].capacity must be an integer from 1 to 1e9',
        'policies[0].refillPerSec must be a number above 0 and at most 1e9',
        'policies[0].extra is not a field of this algorithm',
      ],
    ],
  ])('refuses %s, naming the field', (_name, policy, problems) => {
    expect(refusal({ policies: [policy] }).message).toBe(`invalid policies:\n  ${problems.join('\n  ')}`);
  });

  it('reports the problems of every policy, each at its index, and a name used twice', () => {
    const err = refusal({ policies: [tb(), sw({ limit: 0 }), tb({ capacity: 2 }), 7] });
    expect(err.message).toBe(
      [
        'invalid policies:',
        '  policies[1].limit must be an integer from 1 to 1e9',
        "  policies[2].name 'tb' is used twice",
        '  policies[3] must be an object',
      ].join('\n'),
    );
  });
});

describe('policyLimit', () => {
  it('is C for a token bucket and L for a sliding window', () => {
    expect(policyLimit({ name: 'a', algorithm: 'token_bucket', scope: ['ip'], capacity: 7, refillPerSec: 3 })).toBe(7);
    expect(policyLimit({ name: 'b', algorithm: 'sliding_window', scope: ['ip'], limit: 9, windowMs: 5 })).toBe(9);
  });
});

describe('built-in policies', () => {
  it('are the contract table', () => {
    expect(defaultPolicies({ rateLimitCapacity: 10, rateLimitRefillPerSec: 10 })).toEqual([
      { name: 'per-user', algorithm: 'token_bucket', scope: ['user'], capacity: 100, refillPerSec: 10 },
      { name: 'per-ip', algorithm: 'sliding_window', scope: ['ip'], limit: 600, windowMs: 60_000 },
      { name: 'per-route', algorithm: 'sliding_window', scope: ['route'], limit: 10_000, windowMs: 1_000 },
      { name: 'per-user-route', algorithm: 'sliding_window', scope: ['user', 'route'], limit: 60, windowMs: 60_000 },
      { name: 'chat-connection', algorithm: 'token_bucket', scope: ['client'], capacity: 10, refillPerSec: 10 },
    ]);
  });

  it('include the chat bucket, keyed by client', () => {
    expect(CHAT_CONNECTION_POLICY).toBe('chat-connection');
    expect(chatConnectionPolicy({ rateLimitCapacity: 3, rateLimitRefillPerSec: 1 })).toEqual({
      name: 'chat-connection',
      algorithm: 'token_bucket',
      scope: ['client'],
      capacity: 3,
      refillPerSec: 1,
    });
  });

  it('name the scope fields and the longest subject value', () => {
    expect(SCOPE_FIELDS).toEqual(['user', 'ip', 'route', 'client']);
    expect(MAX_SUBJECT_LENGTH).toBe(256);
  });
});
