/**
 * The rate-limiter service without its transport: policies, request checks that need a policy,
 * the decision, the response and its headers. Both profiles' HTTP APIs are thin layers on it.
 */
import type { LimiterStore, StoreDecision, StoreKind } from './limiter-store.js';
import { type Policy, policyKey, policyLimit, type Subject } from './policy.js';

/** One decision request, its shape already checked. */
export interface DecisionRequest {
  policy: string;
  subject: Subject;
  cost?: number;
}

export interface DecisionResponse {
  allowed: boolean;
  policy: string;
  algorithm: Policy['algorithm'];
  limit: number;
  remaining: number;
  retryAfterMs: number;
  resetMs: number;
  now: number;
  store: StoreKind;
}

/** A request refused before any decision: HTTP status and the `{"error","message"}` body. */
export class RequestError {
  constructor(
    readonly status: 400 | 404 | 413 | 415,
    readonly error:
      | 'bad_json'
      | 'invalid_request'
      | 'batch_too_large'
      | 'unknown_policy'
      | 'payload_too_large'
      | 'unsupported_media_type',
    readonly message: string,
  ) {}

  get body(): { error: string; message: string } {
    return { error: this.error, message: this.message };
  }
}

/** Most requests in one batch. */
export const MAX_BATCH = 1000;
/** How long start-up waits for a remote store to connect (decisions fail over meanwhile). */
export const STORE_CONNECT_WAIT_MS = 2_000;
/** Largest request body. */
export const MAX_BODY_BYTES = 1024 * 1024;

interface Resolved {
  readonly policy: Policy;
  readonly key: string;
  readonly cost: number;
}

export class Limiter {
  private readonly byName: ReadonlyMap<string, Policy>;

  constructor(
    policies: readonly Policy[],
    readonly store: LimiterStore,
  ) {
    this.byName = new Map(policies.map((p) => [p.name, p]));
  }

  policy(name: string): Policy | undefined {
    return this.byName.get(name);
  }

  /**
   * Decides every request, in order, or refuses the whole batch when one of them names an
   * unknown policy, lacks a scope field or costs more than the policy's limit (nothing is
   * consumed then). `at(i)` names request i in error messages.
   */
  async decideAll(
    requests: readonly DecisionRequest[],
    consume: boolean,
    at: (i: number) => string,
  ): Promise<DecisionResponse[] | RequestError> {
    const resolved: Resolved[] = [];
    for (let i = 0; i < requests.length; i++) {
      const r = this.resolve(requests[i] as DecisionRequest, at(i));
      if (r instanceof RequestError) return r;
      resolved.push(r);
    }
    // Concurrent on purpose: a remote store pipelines them into one round trip, in this order.
    return Promise.all(resolved.map((r) => this.decideResolved(r, consume)));
  }

  async decideOne(request: DecisionRequest, consume: boolean): Promise<DecisionResponse | RequestError> {
    const r = this.resolve(request, '');
    return r instanceof RequestError ? r : this.decideResolved(r, consume);
  }

  private resolve(request: DecisionRequest, at: string): Resolved | RequestError {
    const policy = this.byName.get(request.policy);
    if (policy === undefined) {
      return new RequestError(404, 'unknown_policy', `${at}policy: no policy named '${request.policy}'`);
    }
    for (const field of policy.scope) {
      if (request.subject[field] === undefined) {
        return new RequestError(400, 'invalid_request', `${at}subject.${field} is required by policy '${policy.name}'`);
      }
    }
    const cost = request.cost ?? 1;
    const limit = policyLimit(policy);
    if (cost > limit) {
      return new RequestError(400, 'invalid_request', `${at}cost ${cost} is above the policy's limit of ${limit}`);
    }
    return { policy, key: policyKey(policy, request.subject), cost };
  }

  private async decideResolved({ policy, key, cost }: Resolved, consume: boolean): Promise<DecisionResponse> {
    return response(policy, await this.store.decide(key, policy, cost, consume));
  }
}

function response(policy: Policy, d: StoreDecision): DecisionResponse {
  return {
    allowed: d.allowed,
    policy: policy.name,
    algorithm: policy.algorithm,
    limit: policyLimit(policy),
    remaining: d.remaining,
    retryAfterMs: d.retryAfterMs,
    resetMs: d.resetMs,
    now: d.now,
    store: d.store,
  };
}

/**
 * `RateLimit-Policy` and `RateLimit` header fields (IETF draft-ietf-httpapi-ratelimit-headers-10):
 * `"<policy>";q=<limit>;w=<window s>` and `"<policy>";r=<remaining>;t=<s until reset or retry>`.
 */
export function rateLimitHeaders(policy: Policy, d: DecisionResponse): [string, string][] {
  const [policyField, limitField] = rateLimitFields(policy, d.remaining, d.allowed ? d.resetMs : d.retryAfterMs);
  return [
    ['RateLimit-Policy', policyField],
    ['RateLimit', limitField],
  ];
}

/**
 * One policy's items of the two header fields, `t` from `waitMs` (until reset when allowed,
 * until a retry when denied). A token bucket's window is the time it takes to refill from empty.
 */
export function rateLimitFields(policy: Policy, remaining: number, waitMs: number): [string, string] {
  const windowSec =
    policy.algorithm === 'token_bucket'
      ? Math.ceil(policy.capacity / policy.refillPerSec)
      : Math.ceil(policy.windowMs / 1000);
  return [
    `"${policy.name}";q=${policyLimit(policy)};w=${windowSec}`,
    `"${policy.name}";r=${remaining};t=${Math.ceil(waitMs / 1000)}`,
  ];
}
