/**
 * Envoy's rate limit service, `envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit`,
 * without its transport: a request as @grpc/proto-loader decodes it (LOADER_OPTIONS in proto.ts)
 * in, the response to encode or the gRPC status to answer out. Both profiles serve it over
 * gRPC; the decisions are the limiter's, on the same store as the HTTP API
 * (docs/LIMITER.md, "Envoy's rate limit service").
 */
import type { LimiterStore, StoreDecision } from '../limiter-store.js';
import { type Policy, policyKey, policyLimit } from '../policy.js';
import { isSubjectValue, SUBJECT_VALUE_RULE } from '../request-rules.js';
import { rateLimitFields } from '../limiter.js';
import { type DescriptorEntry, type DescriptorMatch, type Domains, matchDescriptor } from './descriptors.js';

/** A `RateLimitRequest` as decoded: camelCase fields, defaults filled in. */
export interface RateLimitRequest {
  domain: string;
  descriptors: { entries: DescriptorEntry[] }[];
  hitsAddend: number;
}

export type Code = 'OK' | 'OVER_LIMIT';
export type Unit = 'SECOND' | 'MINUTE' | 'HOUR' | 'DAY';

export interface RateLimit {
  readonly name: string;
  readonly requestsPerUnit: number;
  readonly unit: Unit;
}

export interface DescriptorStatus {
  code: Code;
  currentLimit?: RateLimit;
  limitRemaining: number;
  durationUntilReset?: { seconds: number; nanos: number };
}

/** A `google.protobuf.Struct` as proto-loader encodes it. */
export interface Struct {
  fields: Record<
    string,
    { numberValue: number } | { stringValue: string } | { listValue: { values: { structValue: Struct }[] } }
  >;
}

export interface RateLimitResponse {
  overallCode: Code;
  statuses: DescriptorStatus[];
  responseHeadersToAdd: { key: string; value: string }[];
  /**
   * `{"decisions": [{"now": <ms>, "store": <store>}, ...]}`: for each descriptor, when the
   * limiter decided it (its clock: Redis TIME on Redis) and which store did, as the HTTP API's
   * `now` and `store`; `{}` for a descriptor with no limit. Envoy emits it as dynamic metadata
   * (for access logs); the harness replays decisions from it.
   */
  dynamicMetadata: Struct;
}

/** gRPC status codes this service answers with (grpc/status.proto). */
export const GrpcStatus = { INVALID_ARGUMENT: 3, NOT_FOUND: 5 } as const;

/** A request refused before any decision: its gRPC status and message. */
export class RlsError {
  constructor(
    readonly code: (typeof GrpcStatus)[keyof typeof GrpcStatus],
    readonly details: string,
  ) {}
}

const UNITS: readonly [Unit, number][] = [
  ['SECOND', 1_000],
  ['MINUTE', 60_000],
  ['HOUR', 3_600_000],
  ['DAY', 86_400_000],
];
const MAX_UINT32 = 4_294_967_295;

/**
 * A policy as Envoy's `RateLimit` (requests per unit), which knows only fixed rates: a sliding
 * window of L per W is L per unit when W is a whole second, minute, hour or day; a token bucket
 * is its refill rate R per second, its sustained rate (its capacity C, the burst, is not in it).
 * Otherwise the rate is given in the smallest unit where it is a whole number, or else per day,
 * rounded down (never more than the policy allows); above 2^32 - 1, that.
 */
export function currentLimit(policy: Policy): RateLimit {
  const perMs = policy.algorithm === 'token_bucket' ? policy.refillPerSec / 1000 : policy.limit / policy.windowMs;
  const whole = policy.algorithm === 'sliding_window' ? UNITS.find(([, ms]) => ms === policy.windowMs) : undefined;
  const [unit, ms] =
    whole ?? UNITS.find(([, ms]) => Number.isInteger(rate(perMs, ms))) ?? (UNITS[UNITS.length - 1] as [Unit, number]);
  return { name: policy.name, requestsPerUnit: Math.min(MAX_UINT32, Math.floor(rate(perMs, ms))), unit };
}

/** Requests per `ms`, rounded to 12 significant digits so that 0.1 * 60 000 is 6 000. */
const rate = (perMs: number, ms: number) => Number((perMs * ms).toPrecision(12));

const duration = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 });

/** Descriptors matched, each with its decision, for the response. */
interface Decided {
  readonly match: DescriptorMatch | undefined;
  readonly decision: StoreDecision | undefined;
  readonly over: boolean;
  /** `duration_until_reset`: until a retry when denied, else (and for a cost never allowed) until full. */
  readonly waitMs: number;
}

export class RateLimitService {
  private readonly limits = new Map<Policy, RateLimit>();

  constructor(
    private readonly domains: Domains,
    private readonly store: LimiterStore,
  ) {}

  /**
   * Decides every descriptor (as the HTTP API decides a batch: each on its own, concurrently, in
   * order); the request is over limit when any descriptor is. A descriptor that selects no policy
   * is OK with no limit. `hits_addend` is the cost of each (0: 1); a cost above a descriptor's
   * limit can never be allowed: OVER_LIMIT, and nothing is spent on that descriptor.
   */
  async shouldRateLimit(request: RateLimitRequest): Promise<RateLimitResponse | RlsError> {
    const matches = this.resolve(request);
    if (matches instanceof RlsError) return matches;
    const cost = request.hitsAddend === 0 ? 1 : request.hitsAddend;
    const decided = await Promise.all(matches.map((match) => this.decide(match, cost)));
    return this.respond(decided);
  }

  private resolve(request: RateLimitRequest): (DescriptorMatch | undefined)[] | RlsError {
    if (request.domain === '') return new RlsError(GrpcStatus.INVALID_ARGUMENT, 'domain must not be empty');
    const rules = this.domains.get(request.domain);
    if (rules === undefined) return new RlsError(GrpcStatus.NOT_FOUND, `no domain named '${request.domain}'`);
    if (request.descriptors.length === 0) {
      return new RlsError(GrpcStatus.INVALID_ARGUMENT, 'descriptors must not be empty');
    }
    const matches: (DescriptorMatch | undefined)[] = [];
    for (let i = 0; i < request.descriptors.length; i++) {
      const entries = (request.descriptors[i] as { entries: DescriptorEntry[] }).entries;
      if (entries.length === 0) {
        return new RlsError(GrpcStatus.INVALID_ARGUMENT, `descriptors[${i}].entries must not be empty`);
      }
      for (let j = 0; j < entries.length; j++) {
        const { key, value } = entries[j] as DescriptorEntry;
        if (key === '' || value === '') {
          return new RlsError(
            GrpcStatus.INVALID_ARGUMENT,
            `descriptors[${i}].entries[${j}].${key === '' ? 'key' : 'value'} must not be empty`,
          );
        }
      }
      const match = matchDescriptor(rules, entries);
      if (match !== undefined) {
        for (const field of match.policy.scope) {
          if (!isSubjectValue(match.subject[field])) {
            const j = entries.findIndex((e) => e.value === match.subject[field]);
            return new RlsError(
              GrpcStatus.INVALID_ARGUMENT,
              `descriptors[${i}].entries[${j}].value ${SUBJECT_VALUE_RULE}`,
            );
          }
        }
      }
      matches.push(match);
    }
    return matches;
  }

  private async decide(match: DescriptorMatch | undefined, cost: number): Promise<Decided> {
    if (match === undefined) return { match, decision: undefined, over: false, waitMs: 0 };
    const key = policyKey(match.policy, match.subject);
    // a cost no state can ever allow: a peek, for the status' remaining and reset
    const never = cost > policyLimit(match.policy);
    const decision = await this.store.decide(key, match.policy, never ? 1 : cost, !never);
    const over = never || !decision.allowed;
    return { match, decision, over, waitMs: over && !never ? decision.retryAfterMs : decision.resetMs };
  }

  private respond(decided: readonly Decided[]): RateLimitResponse {
    let overallCode: Code = 'OK';
    let policies = '';
    let limits = '';
    const decisions: { structValue: Struct }[] = [];
    const statuses = decided.map(({ match, decision, over, waitMs }): DescriptorStatus => {
      if (match === undefined || decision === undefined) {
        decisions.push({ structValue: { fields: {} } });
        return { code: 'OK', limitRemaining: 0 };
      }
      decisions.push({
        structValue: { fields: { now: { numberValue: decision.now }, store: { stringValue: decision.store } } },
      });
      if (over) overallCode = 'OVER_LIMIT';
      const [policyField, limitField] = rateLimitFields(match.policy, decision.remaining, waitMs);
      policies += policies === '' ? policyField : `, ${policyField}`;
      limits += limits === '' ? limitField : `, ${limitField}`;
      return {
        code: over ? 'OVER_LIMIT' : 'OK',
        currentLimit: this.limitOf(match.policy),
        limitRemaining: decision.remaining,
        durationUntilReset: duration(waitMs),
      };
    });
    return {
      overallCode,
      statuses,
      responseHeadersToAdd:
        policies === ''
          ? []
          : [
              { key: 'RateLimit-Policy', value: policies },
              { key: 'RateLimit', value: limits },
            ],
      dynamicMetadata: { fields: { decisions: { listValue: { values: decisions } } } },
    };
  }

  private limitOf(policy: Policy): RateLimit {
    let limit = this.limits.get(policy);
    if (limit === undefined) this.limits.set(policy, (limit = currentLimit(policy)));
    return limit;
  }
}
