import { describe, expect, it } from 'vitest';
import { type Policy, PolicyError } from '../policy.js';
import { matchDescriptor, parseDomains } from './descriptors.js';

const POLICIES: Policy[] = [
  { name: 'per-ip', algorithm: 'sliding_window', scope: ['ip'], limit: 3, windowMs: 1000 },
  { name: 'per-user', algorithm: 'token_bucket', scope: ['user'], capacity: 5, refillPerSec: 1 },
  { name: 'user-route', algorithm: 'sliding_window', scope: ['user', 'route'], limit: 2, windowMs: 1000 },
];
const byName = (name: string) => POLICIES.find((p) => p.name === name);

const rules = parseDomains(
  [
    {
      domain: 'gw',
      descriptors: [
        { key: 'remote_address', subject: 'ip', policy: 'per-ip' },
        {
          key: 'user_id',
          subject: 'user',
          policy: 'per-user',
          descriptors: [{ key: 'path', subject: 'route', policy: 'user-route' }],
        },
        { key: 'path', value: '/login', descriptors: [{ key: 'remote_address', subject: 'ip', policy: 'per-ip' }] },
        { key: 'path', descriptors: [{ key: 'user_id', subject: 'user', policy: 'per-user' }] },
        { key: 'tenant', value: 'acme', subject: 'user', policy: 'per-user' },
      ],
    },
  ],
  POLICIES,
).get('gw')!;
const entries = (...pairs: [string, string][]) => pairs.map(([key, value]) => ({ key, value }));

describe('matchDescriptor', () => {
  it.each([
    [entries(['remote_address', '10.0.0.1']), 'per-ip', { ip: '10.0.0.1' }],
    [entries(['user_id', 'ann']), 'per-user', { user: 'ann' }],
    [entries(['user_id', 'ann'], ['path', '/a']), 'user-route', { user: 'ann', route: '/a' }],
    // a rule for the value wins over the rule for any value of the key
    [entries(['path', '/login'], ['remote_address', '10.0.0.1']), 'per-ip', { ip: '10.0.0.1' }],
    [entries(['path', '/other'], ['user_id', 'bob']), 'per-user', { user: 'bob' }],
    // a fixed value can be the subject too
    [entries(['tenant', 'acme']), 'per-user', { user: 'acme' }],
  ])('selects the policy and subject of %j', (e, policy, subject) => {
    expect(matchDescriptor(rules, e)).toEqual({ policy: byName(policy), subject });
  });

  it.each([
    ['an unknown key', entries(['nope', 'x'])],
    ['a value with no rule and no any-value rule', entries(['tenant', 'other'])],
    ['a rule without a policy at the end', entries(['path', '/login'])],
    ['an entry past the rules', entries(['remote_address', '10.0.0.1'], ['more', 'x'])],
    ['the /login path with an entry it has no rule for', entries(['path', '/login'], ['user_id', 'ann'])],
    ['no entries', []],
  ])('selects nothing for %s', (_, e) => {
    expect(matchDescriptor(rules, e)).toBeUndefined();
  });
});

describe('parseDomains', () => {
  const problems = (section: unknown) => {
    try {
      parseDomains(section, POLICIES);
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyError);
      return (err as Error).message;
    }
    return 'no problem';
  };

  it('takes no section as no domain', () => {
    expect(parseDomains(undefined, POLICIES).size).toBe(0);
  });

  it.each([
    ['{}', {}, 'domains must be a list'],
    [
      'a domain without a name',
      [{ descriptors: [{ key: 'k', policy: 'per-ip', subject: 'ip' }] }],
      'domains[0].domain must be a non-empty string',
    ],
    [
      'a domain twice',
      [
        { domain: 'd', descriptors: [{ key: 'k', policy: 'per-ip', subject: 'ip' }] },
        { domain: 'd', descriptors: [{ key: 'k', policy: 'per-ip', subject: 'ip' }] },
      ],
      "domains[1].domain 'd' is used twice",
    ],
    ['no descriptors', [{ domain: 'd', descriptors: [] }], 'domains[0].descriptors must be a non-empty list'],
    [
      'an unknown field',
      [{ domain: 'd', descriptors: [{ key: 'k', policy: 'per-ip', subject: 'ip', limit: 1 }] }],
      'domains[0].descriptors[0].limit is not a field of a descriptor',
    ],
    [
      'an empty key',
      [{ domain: 'd', descriptors: [{ key: '', policy: 'per-ip', subject: 'ip' }] }],
      'domains[0].descriptors[0].key must be a non-empty string',
    ],
    [
      'an empty value',
      [{ domain: 'd', descriptors: [{ key: 'k', value: '', policy: 'per-ip', subject: 'ip' }] }],
      'domains[0].descriptors[0].value must be a non-empty string',
    ],
    [
      'an unknown policy',
      [{ domain: 'd', descriptors: [{ key: 'k', policy: 'nope', subject: 'ip' }] }],
      'domains[0].descriptors[0].policy must name a policy, got "nope"',
    ],
    [
      'an unknown subject field',
      [{ domain: 'd', descriptors: [{ key: 'k', policy: 'per-ip', subject: 'mac' }] }],
      'domains[0].descriptors[0].subject must be one of user, ip, route, client',
    ],
    [
      'a rule with neither policy nor descriptors',
      [{ domain: 'd', descriptors: [{ key: 'k', subject: 'ip' }] }],
      'domains[0].descriptors[0] needs a policy or descriptors',
    ],
    [
      'a path that does not fill the scope',
      [{ domain: 'd', descriptors: [{ key: 'k', subject: 'user', policy: 'user-route' }] }],
      "domains[0].descriptors[0].policy 'user-route' has scope [user, route], but this path fills [user]",
    ],
    [
      'a path that fills more than the scope',
      [
        {
          domain: 'd',
          descriptors: [{ key: 'k', subject: 'user', descriptors: [{ key: 'j', subject: 'ip', policy: 'per-ip' }] }],
        },
      ],
      "domains[0].descriptors[0].descriptors[0].policy 'per-ip' has scope [ip], but this path fills [user, ip]",
    ],
    [
      'a field filled twice',
      [
        {
          domain: 'd',
          descriptors: [
            { key: 'k', subject: 'user', descriptors: [{ key: 'j', subject: 'user', policy: 'per-user' }] },
          ],
        },
      ],
      "domains[0].descriptors[0].descriptors[0].subject 'user' is filled twice on this path",
    ],
    [
      'two rules for one key and value',
      [
        {
          domain: 'd',
          descriptors: [
            { key: 'k', value: 'v', subject: 'ip', policy: 'per-ip' },
            { key: 'k', value: 'v', subject: 'ip', policy: 'per-ip' },
          ],
        },
      ],
      "domains[0].descriptors[1] repeats key 'k' and value 'v'",
    ],
    [
      'two any-value rules for one key',
      [
        {
          domain: 'd',
          descriptors: [
            { key: 'k', subject: 'ip', policy: 'per-ip' },
            { key: 'k', subject: 'ip', policy: 'per-ip' },
          ],
        },
      ],
      "domains[0].descriptors[1] repeats key 'k' with any value",
    ],
  ])('refuses %s', (_, section, message) => {
    expect(problems(section)).toContain(message);
  });
});
