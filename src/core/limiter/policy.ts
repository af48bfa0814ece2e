/**
 * Limiter policies: what they are, how a file of them is checked, the built-in set, and how a
 * policy and a subject make a storage key. Pure: no Nest, no Redis.
 */
import { ConfigError, POLICY_NAME_PATTERN, type Settings } from '../config/settings.js';
import type { TokenBucketPolicy } from './algorithms/token-bucket.js';
import type { SlidingWindowPolicy } from './algorithms/sliding-window.js';

export const SCOPE_FIELDS = ['user', 'ip', 'route', 'client'] as const;
export type ScopeField = (typeof SCOPE_FIELDS)[number];
export type Subject = Partial<Record<ScopeField, string>>;

interface PolicyBase {
  readonly name: string;
  /** Subject fields that form the key, in this order. */
  readonly scope: readonly ScopeField[];
}
export interface TokenBucketPolicyDef extends PolicyBase, TokenBucketPolicy {
  readonly algorithm: 'token_bucket';
}
export interface SlidingWindowPolicyDef extends PolicyBase, SlidingWindowPolicy {
  readonly algorithm: 'sliding_window';
}
export type Policy = TokenBucketPolicyDef | SlidingWindowPolicyDef;

/** C for a token bucket, L for a sliding window: the most one call may cost. */
export function policyLimit(policy: Policy): number {
  return policy.algorithm === 'token_bucket' ? policy.capacity : policy.limit;
}

/** Largest L * W: sliding-window arithmetic stays exact in doubles far below 2^53. */
const MAX_LIMIT_TIMES_WINDOW = 2 ** 50;
/** Longest subject value, in UTF-16 units. */
export const MAX_SUBJECT_LENGTH = 256;

export class PolicyError extends ConfigError {
  override readonly name = 'PolicyError';
}

const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;

/** Checks `{"policies":[...]}`; throws a PolicyError listing every problem with its path. */
export function parsePolicies(document: unknown): Policy[] {
  const problems: string[] = [];
  const list = (document as { policies?: unknown } | null)?.policies;
  if (typeof document !== 'object' || document === null || !Array.isArray(list)) {
    throw new PolicyError('the policy file must hold an object with a "policies" array');
  }
  const names = new Set<string>();
  const policies: Policy[] = [];
  list.forEach((raw: unknown, i) => {
    const at = `policies[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`${at} must be an object`);
      return;
    }
    const p = raw as Record<string, unknown>;
    const fail = (field: string, rule: string) => problems.push(`${at}.${field} ${rule}`);
    const before = problems.length;
    if (typeof p.name !== 'string' || !POLICY_NAME_PATTERN.test(p.name))
      fail('name', 'must match ^[A-Za-z0-9_.-]{1,64}$');
    else if (names.has(p.name)) fail('name', `'${p.name}' is used twice`);
    else names.add(p.name);
    const scope = p.scope;
    if (
      !Array.isArray(scope) ||
      scope.length === 0 ||
      !scope.every((f) => (SCOPE_FIELDS as readonly unknown[]).includes(f)) ||
      new Set(scope).size !== scope.length
    ) {
      fail('scope', `must be a non-empty list of distinct fields among ${SCOPE_FIELDS.join(', ')}`);
    }
    let allowed: string[];
    if (p.algorithm === 'token_bucket') {
      allowed = ['name', 'algorithm', 'scope', 'capacity', 'refillPerSec'];
      if (!isInt(p.capacity, 1, 1e9)) fail('capacity', 'must be an integer from 1 to 1e9');
      if (typeof p.refillPerSec !== 'number' || !(p.refillPerSec > 0) || p.refillPerSec > 1e9) {
        fail('refillPerSec', 'must be a number above 0 and at most 1e9');
      }
    } else if (p.algorithm === 'sliding_window') {
      allowed = ['name', 'algorithm', 'scope', 'limit', 'windowMs'];
      if (!isInt(p.limit, 1, 1e9)) fail('limit', 'must be an integer from 1 to 1e9');
      if (!isInt(p.windowMs, 1, 31 * 86_400_000)) fail('windowMs', 'must be an integer from 1 to 2678400000 (31 days)');
      if (
        isInt(p.limit, 1, 1e9) &&
        isInt(p.windowMs, 1, 31 * 86_400_000) &&
        p.limit * p.windowMs > MAX_LIMIT_TIMES_WINDOW
      ) {
        fail('limit', 'times windowMs must be at most 2^50');
      }
    } else {
      fail('algorithm', "must be 'token_bucket' or 'sliding_window'");
      return;
    }
    for (const key of Object.keys(p)) if (!allowed.includes(key)) fail(key, 'is not a field of this algorithm');
    if (problems.length === before) policies.push(p as unknown as Policy);
  });
  if (problems.length > 0) throw new PolicyError(`invalid policies:\n  ${problems.join('\n  ')}`);
  return policies;
}

/** Name of the chat's per-connection bucket. */
export const CHAT_CONNECTION_POLICY = 'chat-connection';

type ChatLimitSettings = Pick<Settings, 'rateLimitCapacity' | 'rateLimitRefillPerSec'>;

/** The chat's per-connection bucket: every frame but a valid ping/pong costs 1. */
export function chatConnectionPolicy(settings: ChatLimitSettings): TokenBucketPolicyDef {
  return {
    name: CHAT_CONNECTION_POLICY,
    algorithm: 'token_bucket',
    scope: ['client'],
    capacity: settings.rateLimitCapacity,
    refillPerSec: settings.rateLimitRefillPerSec,
  };
}

/** The built-in policy set; the chat bucket follows the RATE_LIMIT_* settings. */
export function defaultPolicies(settings: ChatLimitSettings): Policy[] {
  return [
    { name: 'per-user', algorithm: 'token_bucket', scope: ['user'], capacity: 100, refillPerSec: 10 },
    { name: 'per-ip', algorithm: 'sliding_window', scope: ['ip'], limit: 600, windowMs: 60_000 },
    { name: 'per-route', algorithm: 'sliding_window', scope: ['route'], limit: 10_000, windowMs: 1_000 },
    { name: 'per-user-route', algorithm: 'sliding_window', scope: ['user', 'route'], limit: 60, windowMs: 60_000 },
    chatConnectionPolicy(settings),
  ];
}

/**
 * The built-in domain of the gRPC rate limit service (docs/LIMITER.md), on the built-in policies:
 * `edge`, with a per-IP, a per-user, a per-route and a per-user-and-route descriptor.
 */
export const DEFAULT_DOMAINS = [
  {
    domain: 'edge',
    descriptors: [
      { key: 'remote_address', subject: 'ip', policy: 'per-ip' },
      {
        key: 'user_id',
        subject: 'user',
        policy: 'per-user',
        descriptors: [{ key: 'path', subject: 'route', policy: 'per-user-route' }],
      },
      { key: 'path', subject: 'route', policy: 'per-route' },
    ],
  },
];

/**
 * The storage key of one policy and subject: `rl:{<policy>:<value>[:<value>...]}`, values
 * percent-encoded so that no two (policy, subject) pairs share a key. The whole key is a Redis
 * Cluster hash tag, so each key maps to one slot.
 */
export function policyKey(policy: Policy, subject: Subject): string {
  let key = `rl:{${policy.name}`;
  for (const field of policy.scope) key += `:${encodeKeyValue(subject[field] as string)}`;
  return `${key}}`;
}

/** A lone surrogate: a high one not followed by a low one, or a low one not after a high one. */
const LONE_SURROGATE = /([\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF])/;

/**
 * `encodeURIComponent`, which throws on a lone surrogate. The request checks refuse those, so
 * this is defence in depth: a lone surrogate is written as the three bytes WTF-8 gives it
 * (`%ED%A0%80` for U+D800), bytes that UTF-8 never holds, so keys stay distinct and nothing throws.
 */
function encodeKeyValue(value: string): string {
  if (value.isWellFormed()) return encodeURIComponent(value);
  // split() with a capturing group: well-formed runs at even indexes, lone surrogates at odd ones
  return value
    .split(LONE_SURROGATE)
    .map((part, i) => (i % 2 === 0 ? encodeURIComponent(part) : wtf8(part.charCodeAt(0))))
    .join('');
}

const hex = (byte: number) => `%${byte.toString(16).toUpperCase()}`;
const wtf8 = (unit: number) => hex(0xe0 | (unit >> 12)) + hex(0x80 | ((unit >> 6) & 0x3f)) + hex(0x80 | (unit & 0x3f));
