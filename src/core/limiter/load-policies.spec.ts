import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadSettings, type Settings } from '../config/settings.js';
import { loadLimiterConfig, loadPolicies } from './load-policies.js';
import { defaultPolicies, PolicyError } from './policy.js';

const dir = mkdtempSync(join(tmpdir(), 'load-policies-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const settings = (over: Partial<Settings> = {}): Settings => ({ ...loadSettings({}), ...over });

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const tb = { name: 'tb', algorithm: 'token_bucket', scope: ['user'], capacity: 5, refillPerSec: 0.5 };
const sw = { name: 'sw', algorithm: 'sliding_window', scope: ['ip', 'route'], limit: 10, windowMs: 1000 };

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Catches what `load` throws. */
function thrown(load: () => unknown): unknown {
  try {
    load();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('loadPolicies', () => {
  it('uses the built-in set, with the chat bucket from the settings, without a file', () => {
    const policies = loadPolicies(settings({ rateLimitCapacity: 7, rateLimitRefillPerSec: 3 }));
    expect(policies).toEqual(defaultPolicies({ rateLimitCapacity: 7, rateLimitRefillPerSec: 3 }));
    expect(policies.map((p) => p.name)).toEqual([
      'per-user',
      'per-ip',
      'per-route',
      'per-user-route',
      'chat-connection',
    ]);
  });

  it('reads a .json file as JSON', () => {
    const path = file('policies.json', JSON.stringify({ policies: [tb, sw] }));
    expect(loadPolicies(settings({ policiesFile: path }))).toEqual([tb, sw]);
  });

  it('reads a JSON document as JSON even where YAML would refuse it (a repeated key)', () => {
    const path = file(
      'repeated.json',
      '{"policies": [], "policies": [{"name":"tb","algorithm":"token_bucket","scope":["user"],"capacity":5,"refillPerSec":0.5}]}',
    );
    expect(loadPolicies(settings({ policiesFile: path }))).toEqual([tb]);
  });

  it.each(['policies.yaml', 'policies.yml', 'policies', 'policies.json.txt'])('reads %s as YAML', (name) => {
    const path = file(
      name,
      [
        'policies:',
        '  - name: tb',
        '    algorithm: token_bucket',
        '    scope: [user]',
        '    capacity: 5',
        '    refillPerSec: 0.5',
        '  - name: sw',
        '    algorithm: sliding_window',
        '    scope: [ip, route]',
        '    limit: 10',
        '    windowMs: 1000',
        '',
      ].join('\n'),
    );
    expect(loadPolicies(settings({ policiesFile: path }))).toEqual([tb, sw]);
  });

  it('refuses a file it cannot read, naming it', () => {
    const path = join(dir, 'missing.yaml');
    const err = thrown(() => loadPolicies(settings({ policiesFile: path })));
    expect(err).toBeInstanceOf(PolicyError);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(
      new RegExp(`^POLICIES_FILE '${escape(path)}' cannot be read: ENOENT: no such file or directory`),
    );
  });

  it('refuses a .json file that is not JSON (YAML is not accepted there)', () => {
    const path = file('yaml.json', 'policies: []\n');
    const err = thrown(() => loadPolicies(settings({ policiesFile: path })));
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as Error).message).toMatch(
      new RegExp(`^POLICIES_FILE '${escape(path)}' is not valid JSON: Unexpected token`),
    );
  });

  it('refuses a YAML file that is not YAML', () => {
    const path = file('broken.yaml', 'policies: [\n');
    const err = thrown(() => loadPolicies(settings({ policiesFile: path })));
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as Error).message).toMatch(new RegExp(`^POLICIES_FILE '${escape(path)}' is not valid YAML: \\S`));
  });

  it('refuses a readable file with bad policies, naming each field', () => {
    const path = file(
      'bad.json',
      JSON.stringify({
        policies: [
          { ...tb, capacity: 0 },
          { ...sw, windowMs: 0 },
        ],
      }),
    );
    const err = thrown(() => loadPolicies(settings({ policiesFile: path })));
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as Error).message).toBe(
      'invalid policies:\n  policies[0].capacity must be an integer from 1 to 1e9\n  policies[1].windowMs must be an integer from 1 to 2678400000 (31 days)',
    );
  });

  it('accepts an HTTP_THROTTLE_POLICY that names a policy', () => {
    expect(loadPolicies(settings({ httpThrottlePolicy: 'per-ip' })).length).toBe(5);
    const path = file('throttle.json', JSON.stringify({ policies: [tb, sw] }));
    expect(loadPolicies(settings({ policiesFile: path, httpThrottlePolicy: 'sw' }))).toEqual([tb, sw]);
  });

  it('refuses an HTTP_THROTTLE_POLICY that names no policy', () => {
    const err = thrown(() => loadPolicies(settings({ httpThrottlePolicy: 'nope' })));
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as Error).message).toBe("HTTP_THROTTLE_POLICY names 'nope', which is not a policy");
    const path = file('no-throttle.json', JSON.stringify({ policies: [tb] }));
    expect(() => loadPolicies(settings({ policiesFile: path, httpThrottlePolicy: 'per-user' }))).toThrow(
      "HTTP_THROTTLE_POLICY names 'per-user', which is not a policy",
    );
  });
});

describe('loadLimiterConfig', () => {
  it('has the built-in edge domain on the built-in policies without a file', () => {
    const { domains } = loadLimiterConfig(settings());
    expect([...domains.keys()]).toEqual(['edge']);
    const edge = domains.get('edge');
    expect([...(edge?.any.keys() ?? [])]).toEqual(['remote_address', 'user_id', 'path']);
  });

  it("reads a file's domains, and a file without them has none", () => {
    const domains = [{ domain: 'gw', descriptors: [{ key: 'user_id', subject: 'user', policy: 'tb' }] }];
    const withDomains = loadLimiterConfig(
      settings({ policiesFile: file('d.json', JSON.stringify({ policies: [tb], domains })) }),
    );
    expect([...withDomains.domains.keys()]).toEqual(['gw']);
    expect(withDomains.domains.get('gw')?.any.get('user_id')?.policy).toEqual(tb);
    const without = loadLimiterConfig(settings({ policiesFile: file('n.json', JSON.stringify({ policies: [tb] })) }));
    expect(without.domains.size).toBe(0);
  });

  it('stops on a domain naming a policy the file does not have', () => {
    const domains = [{ domain: 'gw', descriptors: [{ key: 'user_id', subject: 'user', policy: 'per-user' }] }];
    const path = file('bad.yaml', JSON.stringify({ policies: [tb], domains }));
    expect(thrown(() => loadPolicies(settings({ policiesFile: path })))).toBeInstanceOf(PolicyError);
  });
});
