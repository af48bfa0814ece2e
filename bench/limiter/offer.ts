/**
 * One load generator of the limiter scenarios: requests of checks (half single checks, half
 * batches) sent at a constant pace, every request timed and every decision handed on; over HTTP
 * to the decision API (keep-alive connections), or over gRPC to Envoy's rate limit service
 * (`ShouldRateLimit`, one descriptor per check). Everything it needs is in an OfferPlan, plain
 * data, so the same generator runs in this thread or in a worker thread (offer-worker.ts, spread
 * by scenarios.ts).
 */
import { Agent, request } from 'node:http';
import { type Client, credentials, type ServiceClientConstructor, type ServiceError, status } from '@grpc/grpc-js';
import type { RateLimitRequest, RateLimitResponse } from '../../src/core/index.js';
import { LatencyHistogram } from '../lib/histogram.js';
import { rng, zipf } from '../lib/random.js';
import { rlsClientConstructor } from './rls-client.js';

/** How the checks travel: the decision API over HTTP/1.1, or Envoy's rate limit service over gRPC. */
export type Protocol = 'http' | 'grpc';
export const PROTOCOLS: readonly Protocol[] = ['http', 'grpc'];

/**
 * The rate limit service's domain, and the descriptor key that selects the policy under test in
 * it: the built-in `edge` domain maps `user_id` to `per-user` (src/core/limiter/policy.ts).
 */
export const GRPC_DOMAIN = 'edge';
export const GRPC_USER_KEY = 'user_id';
export const GRPC_POLICY = 'per-user';

/** Whose checks a generator sends: warm-up keys, or the measured keys (a Zipf tail, and maybe one hot key). */
export type UserPicks = { kind: 'warm' } | { kind: 'zipf'; keys: number; hotShare: number };

export interface OfferPlan {
  /**
   * The decision API's base URLs: one server, or instances sharing one Redis, to which requests
   * go in turn (round robin, as a load balancer in front of them would send them).
   */
  httpUrls: string[];
  /** `http` (the default) or `grpc`: then requests go to grpcAddresses, in the same turn. */
  protocol?: Protocol;
  /** `host:port` of each instance's rate limit service (gRPC), in the order of httpUrls. */
  grpcAddresses?: string[];
  /** Checks per second this generator offers. */
  rate: number;
  /** HTTP: keep-alive connections (at most this many requests at once); gRPC: channels (each its own HTTP/2 connection, requests multiplexed). */
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
  /** Requests answered by each of the plan's URLs (or gRPC addresses), in order. */
  requestsByUrl: number[];
  /** Requests with no answer: a connection error or the timeout (gRPC: also UNAVAILABLE, CANCELLED). */
  errors: number;
  /** Requests answered with an error: an HTTP status other than 200, a gRPC status other than OK. */
  non2xx: number;
  seconds: number;
  latency: LatencyHistogram;
  stores: Record<string, number>;
  /** Per decision: ms since the plan's epoch and store, for degrade's timeline. */
  timeline?: { at: number; store: string }[];
  /**
   * Each decision's latency (its request's, from sending to answer), summed over the decisions
   * answered: a batch's latency counts once for each of its checks.
   */
  decisionLatency: { sumMs: number; decisions: number };
}

/** A decision as the API answered it: the key's user, the server's time (ms), the outcome and the store that decided. */
export type OnDecision = (user: string, now: number, allowed: boolean, store: string) => void;

const wallMs = () => performance.timeOrigin + performance.now();

/** The user of each check, drawn from the plan's seed. */
export function userPicker(users: UserPicks, seed: number): () => string {
  const random = rng(seed);
  if (users.kind === 'warm') return () => `warm${Math.floor(random() * 1000)}`;
  const tail = zipf(users.keys, 1.1, random);
  return () => (random() < users.hotShare ? 'hot' : `u${tail()}`);
}

/** A request goes unanswered for this long: it is counted as an error. */
const REQUEST_TIMEOUT_MS = 10_000;

/** A decision as the server answered it. */
interface Decision {
  allowed: boolean;
  now: number;
  store: string;
}

/**
 * A request's outcome: `failed`, no answer (a connection error, the timeout); `refused`, an error
 * status; or the answer, read into its decisions by the transport's `decisions` once timed.
 */
type Outcome<A> = 'failed' | 'refused' | { answer: A };

/** How requests of checks reach the server: one per protocol, each keeping its connections. */
interface Transport<A> {
  /** Sends the checks of `users` as request `i` (to instance i mod the instances); calls `reply` once. */
  send(users: string[], i: number, reply: (outcome: Outcome<A>) => void): void;
  /** The decisions of an answer, one per check in order. */
  decisions(answer: A): Decision[];
  close(): void;
}

/**
 * POST /v1/check_and_consume: a single check as one object, a batch as an array; at most
 * `connections` keep-alive connections (spread over the instances), a request waiting for one
 * when all are busy.
 */
function httpTransport(plan: OfferPlan): Transport<string> {
  const urls = plan.httpUrls.map((u) => new URL('/v1/check_and_consume', u));
  const perUrl = Math.max(1, Math.ceil(plan.connections / urls.length));
  const agents = urls.map(() => new Agent({ keepAlive: true, maxSockets: perUrl }));
  const { policy } = plan;
  const item = (user: string) => `{"policy":"${policy}","subject":{"user":"${user}"}}`;
  return {
    send(users, i, reply) {
      const body = users.length === 1 ? item(users[0] as string) : `[${users.map(item).join(',')}]`;
      let done = false;
      const failed = () => {
        if (done) return;
        done = true;
        reply('failed');
      };
      const req = request(
        urls[i % urls.length] as URL,
        {
          method: 'POST',
          agent: agents[i % agents.length],
          timeout: REQUEST_TIMEOUT_MS,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('error', failed); // the connection closed before the whole answer
          res.on('end', () => {
            if (done) return;
            done = true;
            reply(res.statusCode === 200 ? { answer: text } : 'refused');
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer in time')));
      req.on('error', failed);
      req.end(body);
    },
    decisions(body) {
      const parsed = JSON.parse(body);
      return Array.isArray(parsed) ? parsed : [parsed];
    },
    close() {
      for (const agent of agents) agent.destroy();
    },
  };
}

/** The gRPC statuses that mean no answer came (the others are the server's). */
const UNANSWERED: ReadonlySet<number> = new Set([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.CANCELLED]);

type ShouldRateLimit = (
  request: RateLimitRequest,
  options: { deadline: number },
  callback: (err: ServiceError | null, response?: RateLimitResponse) => void,
) => void;

/**
 * `ShouldRateLimit` in domain `edge`, one `user_id` descriptor per check (a single check, one; a
 * batch, one per check); `connections` channels spread over the instances, each with its own
 * subchannel pool, so that each is an HTTP/2 connection of its own. A call has a deadline of
 * REQUEST_TIMEOUT_MS.
 */
function grpcTransport(plan: OfferPlan, Client: ServiceClientConstructor): Transport<RateLimitResponse> {
  const addresses = plan.grpcAddresses ?? [];
  if (addresses.length !== plan.httpUrls.length)
    throw new Error('--protocol grpc needs the gRPC address of every instance of the target');
  const perAddress = Math.max(1, Math.ceil(plan.connections / addresses.length));
  const channels = addresses.map((address) =>
    Array.from(
      { length: perAddress },
      (_, k) =>
        new Client(address, credentials.createInsecure(), {
          'grpc.use_local_subchannel_pool': 1,
          'grpc-bench.channel': k, // (not a gRPC option: the channels' options differ, never shared)
        }),
    ),
  );
  const calls = channels.map((clients) =>
    clients.map((c) => (c as unknown as { ShouldRateLimit: ShouldRateLimit }).ShouldRateLimit.bind(c)),
  );
  const descriptor = (user: string) => ({ entries: [{ key: GRPC_USER_KEY, value: user }] });
  return {
    send(users, i, reply) {
      const n = addresses.length;
      const perInstance = calls[i % n] as ShouldRateLimit[];
      const call = perInstance[Math.floor(i / n) % perInstance.length] as ShouldRateLimit;
      const req: RateLimitRequest = { domain: GRPC_DOMAIN, descriptors: users.map(descriptor), hitsAddend: 0 };
      call(req, { deadline: Date.now() + REQUEST_TIMEOUT_MS }, (err, response) => {
        if (err) reply(UNANSWERED.has(err.code) ? 'failed' : 'refused');
        else reply({ answer: response as RateLimitResponse });
      });
    },
    decisions(response) {
      const list = response.dynamicMetadata.fields.decisions as { listValue: { values: { structValue: Struct }[] } };
      return response.statuses.map((s, k) => {
        const fields = (list.listValue.values[k] as { structValue: Struct }).structValue.fields;
        return {
          allowed: s.code === 'OK',
          now: (fields.now as { numberValue: number }).numberValue,
          store: (fields.store as { stringValue: string }).stringValue,
        };
      });
    },
    close() {
      for (const clients of channels) for (const c of clients as Client[]) c.close();
    },
  };
}

type Struct = RateLimitResponse['dynamicMetadata'];

/**
 * Offers the plan's rate for its duration; calls onDecision for every decision answered.
 *
 * Open loop, paced: request i is due at i / (request rate) after the start, whatever the answers
 * before it, and waits for a free connection (HTTP: at most `connections` at once; gRPC
 * multiplexes its requests on its channels) if none is; its latency counts from when it was due,
 * so a server that falls behind shows it in the latency instead of slowing the load down (no
 * coordinated omission). A run is a number of requests (the rate times the duration), not a
 * time: it ends once every request has its answer, so no decision the server made goes unseen by
 * the replay (a run cut at a time loses the answers in flight, and the replay then finds false
 * denies that are the harness's). It takes longer when the server cannot keep up, bounded at
 * twice the duration plus 10 s; `seconds` is the time to the last answer.
 */
export async function offer(plan: OfferPlan, onDecision: OnDecision): Promise<LoadRun> {
  if (plan.protocol === 'grpc') return offerOver(grpcTransport(plan, rlsClientConstructor()), plan, onDecision);
  return offerOver(httpTransport(plan), plan, onDecision);
}

function offerOver<A>(transport: Transport<A>, plan: OfferPlan, onDecision: OnDecision): Promise<LoadRun> {
  const random = rng(plan.seed + 1);
  const pickUser = userPicker(plan.users, plan.seed);
  const requestRate = Math.max(1, plan.rate / ((1 + plan.batchSize) / 2)); // per second
  const amount = Math.max(1, Math.round(requestRate * plan.durationS));
  const instances = plan.httpUrls.length;
  const { keepTimeline, epochMs } = plan;
  const run: LoadRun = {
    requests: 0,
    requestsByUrl: plan.httpUrls.map(() => 0),
    errors: 0,
    non2xx: 0,
    seconds: 0,
    latency: new LatencyHistogram(),
    stores: {},
    timeline: keepTimeline ? [] : undefined,
    decisionLatency: { sumMs: 0, decisions: 0 },
  };
  const answered = (users: string[], decisions: Decision[], ms: number) => {
    decisions.forEach((d, i) => {
      onDecision(users[i] as string, d.now, d.allowed, d.store);
      run.stores[d.store] = (run.stores[d.store] ?? 0) + 1;
      run.timeline?.push({ at: wallMs() - epochMs, store: d.store });
    });
    run.decisionLatency.sumMs += ms * decisions.length;
    run.decisionLatency.decisions += decisions.length;
  };

  return new Promise((resolve) => {
    const started = performance.now();
    let sent = 0;
    let settled = 0;
    let over = false;
    const finish = () => {
      if (over) return;
      over = true; // answers still on their way when the bound ends the run are not counted
      clearInterval(pacing);
      clearTimeout(bound);
      transport.close();
      resolve(run);
    };
    const settle = () => {
      if (++settled === amount) finish();
    };
    const send = (dueAt: number, i: number) => {
      const users = Array.from({ length: random() < 0.5 ? 1 : plan.batchSize }, pickUser);
      transport.send(users, i, (outcome) => {
        if (over) return;
        if (outcome === 'failed') {
          run.errors++;
          settle();
          return;
        }
        const at = performance.now();
        run.requests++;
        (run.requestsByUrl[i % instances] as number)++;
        run.latency.record(at - dueAt);
        run.seconds = (at - started) / 1000;
        if (outcome === 'refused') run.non2xx++;
        else answered(users, transport.decisions(outcome.answer), at - dueAt);
        settle();
      });
    };
    const pace = () => {
      const due = Math.min(amount, Math.floor(((performance.now() - started) * requestRate) / 1000) + 1);
      for (; sent < due; sent++) send(started + (sent * 1000) / requestRate, sent);
      if (sent === amount) clearInterval(pacing);
    };
    const bound = setTimeout(finish, (2 * plan.durationS + 10) * 1000);
    const pacing = setInterval(pace, 1); // finish and pace clear it: both run only after this line
    pace();
  });
}
