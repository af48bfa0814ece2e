/**
 * One load generator of the limiter scenarios: autocannon offering a rate of checks (half single
 * checks, half batches) to the decision API for a while, timing every request and handing every
 * decision on. Everything it needs is in an OfferPlan, plain data, so the same generator runs in
 * this thread or in a worker thread (offer-worker.ts, spread by scenarios.ts).
 */
import autocannon from 'autocannon';
import { LatencyHistogram } from '../lib/histogram.js';
import { rng, zipf } from '../lib/random.js';

/** Whose checks a generator sends: warm-up keys, or the measured keys (a Zipf tail, and maybe one hot key). */
export type UserPicks = { kind: 'warm' } | { kind: 'zipf'; keys: number; hotShare: number };

export interface OfferPlan {
  /** The decision API's base URL. */
  httpUrl: string;
  /** Checks per second this generator offers. */
  rate: number;
  connections: number;
  /** Checks per batch request; half the requests are batches, half single checks. */
  batchSize: number;
  policy: string;
  durationS: number;
  /** Seeds the request shapes and the keys. */
  seed: number;
  users: UserPicks;
  /** Keep each decision's time and store (degrade's timeline). */
  keepTimeline: boolean;
  /** The wall-clock ms (performance.timeOrigin + performance.now()) the timeline counts from. */
  epochMs: number;
}

export interface LoadRun {
  requests: number;
  errors: number;
  non2xx: number;
  seconds: number;
  latency: LatencyHistogram;
  stores: Record<string, number>;
  /** Per decision: ms since the plan's epoch and store, for degrade's timeline. */
  timeline?: { at: number; store: string }[];
}

/** A decision as the API answered it: the key's user, the server's time (ms) and the outcome. */
export type OnDecision = (user: string, now: number, allowed: boolean) => void;

interface RunContext {
  users?: string[];
}

const wallMs = () => performance.timeOrigin + performance.now();

/** The user of each check, drawn from the plan's seed. */
export function userPicker(users: UserPicks, seed: number): () => string {
  const random = rng(seed);
  if (users.kind === 'warm') return () => `warm${Math.floor(random() * 1000)}`;
  const tail = zipf(users.keys, 1.1, random);
  return () => (random() < users.hotShare ? 'hot' : `u${tail()}`);
}

/**
 * Offers the plan's rate for its duration; calls onDecision for every decision answered. The run
 * is a number of requests (the rate times the duration), not a time: autocannon then stops once
 * every request sent has its answer, so no decision the server made goes unseen by the replay
 * (a run cut at a time loses the answers in flight, and the replay then finds false denies that
 * are the harness's). It takes longer when the server cannot keep up, bounded at twice the
 * duration plus 10 s; `seconds` is the time to the last answer.
 */
export async function offer(plan: OfferPlan, onDecision: OnDecision): Promise<LoadRun> {
  const random = rng(plan.seed + 1);
  const pickUser = userPicker(plan.users, plan.seed);
  const meanChecks = (1 + plan.batchSize) / 2;
  const latency = new LatencyHistogram();
  const stores: Record<string, number> = {};
  const timeline: { at: number; store: string }[] = [];
  const { policy, keepTimeline, epochMs } = plan;
  const record = (user: string, d: { allowed: boolean; now: number; store: string }) => {
    onDecision(user, d.now, d.allowed);
    stores[d.store] = (stores[d.store] ?? 0) + 1;
    if (keepTimeline) timeline.push({ at: wallMs() - epochMs, store: d.store });
  };
  const requestRate = Math.max(1, Math.round(plan.rate / meanChecks));
  const amount = Math.max(1, Math.round(requestRate * plan.durationS));
  const started = performance.now();
  let lastAnswer = started;
  const instance = autocannon({
    url: `${plan.httpUrl}/v1/check_and_consume`,
    method: 'POST',
    connections: Math.min(plan.connections, amount),
    overallRate: requestRate,
    amount,
    sampleInt: 100, // how soon autocannon sees that every connection is done

    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req: autocannon.Request, context: RunContext) => {
          const n = random() < 0.5 ? 1 : plan.batchSize;
          const users = Array.from({ length: n }, pickUser);
          context.users = users;
          const items = users.map((u) => `{"policy":"${policy}","subject":{"user":"${u}"}}`);
          return { ...req, body: n === 1 ? items[0] : `[${items.join(',')}]` };
        },
        onResponse: (status: number, body: string, context: RunContext) => {
          if (status !== 200 || !context.users) return;
          const parsed = JSON.parse(body);
          const decisions = Array.isArray(parsed) ? parsed : [parsed];
          decisions.forEach((d, i) => record(context.users?.[i] as string, d));
        },
      },
    ],
  } as unknown as autocannon.Options);
  // autocannon's promise is also its event emitter; requests are counted here, as autocannon
  // aggregates its result (requests.total) in the main thread only
  let requests = 0;
  (instance as unknown as NodeJS.EventEmitter).on(
    'response',
    (_c: unknown, _s: number, _b: number, responseTime: number) => {
      requests++;
      lastAnswer = performance.now();
      latency.record(responseTime);
    },
  );
  const bound = setTimeout(() => (instance as unknown as { stop(): void }).stop(), (2 * plan.durationS + 10) * 1000);
  const result = await instance;
  clearTimeout(bound);
  return {
    requests,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    seconds: (lastAnswer - started) / 1000,
    latency,
    stores,
    timeline: keepTimeline ? timeline : undefined,
  };
}
