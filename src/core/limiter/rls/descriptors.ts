/**
 * The `domains` section of the policies file: which policy, and which subject, a descriptor of
 * Envoy's rate limit service API selects (docs/LIMITER.md, "Envoy's rate limit service"), in the
 * spirit of envoyproxy/ratelimit's configuration. Pure: no gRPC, no store.
 *
 * ```yaml
 * domains:
 *   - domain: edge
 *     descriptors:
 *       - key: remote_address   # any value: the value is the subject's ip
 *         subject: ip
 *         policy: per-ip
 *       - key: path
 *         value: /login         # this value only
 *         descriptors:          # nested: the descriptor's next entry
 *           - key: remote_address
 *             subject: ip
 *             policy: login-per-ip
 * ```
 */
import { type Policy, PolicyError, SCOPE_FIELDS, type ScopeField, type Subject } from '../policy.js';

/** One rule of the tree: an entry's key, and its value or any value. */
export interface DescriptorRule {
  readonly key: string;
  /** Undefined: any value. */
  readonly value: string | undefined;
  /** The subject field the entry's value fills. */
  readonly subject: ScopeField | undefined;
  /** The policy a descriptor that ends at this rule is decided by (undefined: no limit). */
  readonly policy: Policy | undefined;
  readonly children: DescriptorRules;
}

/** Sibling rules: by key and value, and by key alone for the rules that take any value. */
export interface DescriptorRules {
  readonly exact: ReadonlyMap<string, DescriptorRule>;
  readonly any: ReadonlyMap<string, DescriptorRule>;
}

/** Every configured domain's rules, by domain name. */
export type Domains = ReadonlyMap<string, DescriptorRules>;

export interface DescriptorEntry {
  readonly key: string;
  readonly value: string;
}

/** What a descriptor selects: a policy and its subject. */
export interface DescriptorMatch {
  readonly policy: Policy;
  readonly subject: Subject;
}

const exactKey = (key: string, value: string) => `${key}\u0000${value}`;

/**
 * The policy and subject the entries select, as envoyproxy/ratelimit walks its tree: each entry
 * goes to the child rule of its key and value, or else of its key with any value; the descriptor
 * is limited when every entry found a rule and the last one names a policy. Undefined: no limit.
 */
export function matchDescriptor(
  rules: DescriptorRules,
  entries: readonly DescriptorEntry[],
): DescriptorMatch | undefined {
  let level = rules;
  let subject: Subject | undefined;
  let rule: DescriptorRule | undefined;
  for (const entry of entries) {
    if (rule !== undefined) level = rule.children;
    rule = level.exact.get(exactKey(entry.key, entry.value)) ?? level.any.get(entry.key);
    if (rule === undefined) return undefined;
    if (rule.subject !== undefined) (subject ??= {})[rule.subject] = entry.value;
  }
  return rule?.policy === undefined ? undefined : { policy: rule.policy, subject: subject ?? {} };
}

const RULE_FIELDS = ['key', 'value', 'subject', 'policy', 'descriptors'];

/**
 * Checks the `domains` section (absent: no domain) against the policies; throws a PolicyError
 * listing every problem with its path. Along the path to a rule that names a policy, the rules'
 * `subject` fields must be exactly the policy's scope, each once.
 */
export function parseDomains(section: unknown, policies: readonly Policy[]): Map<string, DescriptorRules> {
  const domains = new Map<string, DescriptorRules>();
  if (section === undefined) return domains;
  const problems: string[] = [];
  if (!Array.isArray(section)) throw new PolicyError('domains must be a list');
  const byName = new Map(policies.map((p) => [p.name, p]));

  const parseRules = (list: unknown, at: string, assigned: readonly ScopeField[]): DescriptorRules => {
    const exact = new Map<string, DescriptorRule>();
    const any = new Map<string, DescriptorRule>();
    if (!Array.isArray(list) || list.length === 0) {
      problems.push(`${at} must be a non-empty list`);
      return { exact, any };
    }
    list.forEach((raw: unknown, i) => {
      const here = `${at}[${i}]`;
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        problems.push(`${here} must be an object`);
        return;
      }
      const r = raw as Record<string, unknown>;
      const fail = (field: string, rule: string) => problems.push(`${here}.${field} ${rule}`);
      for (const field of Object.keys(r))
        if (!RULE_FIELDS.includes(field)) fail(field, 'is not a field of a descriptor');
      const key = r.key;
      if (typeof key !== 'string' || key.length === 0) fail('key', 'must be a non-empty string');
      const value = r.value;
      if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
        fail('value', 'must be a non-empty string (leave it out to match any value)');
      }
      let subject: ScopeField | undefined;
      if (r.subject !== undefined) {
        if (!(SCOPE_FIELDS as readonly unknown[]).includes(r.subject))
          fail('subject', `must be one of ${SCOPE_FIELDS.join(', ')}`);
        else if (assigned.includes(r.subject as ScopeField))
          fail('subject', `'${r.subject}' is filled twice on this path`);
        else subject = r.subject as ScopeField;
      }
      const path = subject === undefined ? assigned : [...assigned, subject];
      let policy: Policy | undefined;
      if (r.policy !== undefined) {
        policy = typeof r.policy === 'string' ? byName.get(r.policy) : undefined;
        if (policy === undefined) fail('policy', `must name a policy, got ${JSON.stringify(r.policy)}`);
        else if (policy.scope.length !== path.length || !policy.scope.every((f) => path.includes(f))) {
          fail(
            'policy',
            `'${policy.name}' has scope [${policy.scope.join(', ')}], but this path fills [${path.join(', ')}]`,
          );
        }
      }
      if (r.policy === undefined && r.descriptors === undefined) problems.push(`${here} needs a policy or descriptors`);
      const children =
        r.descriptors === undefined
          ? { exact: new Map(), any: new Map() }
          : parseRules(r.descriptors, `${here}.descriptors`, path);
      if (typeof key !== 'string' || key.length === 0) return;
      const rule: DescriptorRule = { key, value: value as string | undefined, subject, policy, children };
      const siblings = value === undefined ? any : exact;
      const id = value === undefined ? key : exactKey(key, value as string);
      if (siblings.has(id)) {
        problems.push(
          `${here} repeats key '${key}' ${value === undefined ? 'with any value' : `and value '${value}'`}`,
        );
      }
      siblings.set(id, rule);
    });
    return { exact, any };
  };

  section.forEach((raw: unknown, i) => {
    const at = `domains[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`${at} must be an object`);
      return;
    }
    const d = raw as Record<string, unknown>;
    for (const field of Object.keys(d)) {
      if (field !== 'domain' && field !== 'descriptors') problems.push(`${at}.${field} is not a field of a domain`);
    }
    const rules = parseRules(d.descriptors, `${at}.descriptors`, []);
    if (typeof d.domain !== 'string' || d.domain.length === 0) problems.push(`${at}.domain must be a non-empty string`);
    else if (domains.has(d.domain)) problems.push(`${at}.domain '${d.domain}' is used twice`);
    else domains.set(d.domain, rules);
  });
  if (problems.length > 0) throw new PolicyError(`invalid domains:\n  ${problems.join('\n  ')}`);
  return domains;
}
