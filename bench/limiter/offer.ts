/**
 * One load generator of the limiter scenarios: requests of checks (half single checks, half
 * batches) sent to the decision API at a constant pace over keep-alive connections, every
 * request timed and every decision handed on. Everything it needs is in an OfferPlan, plain data,
 * so the same generator runs in this thread or in a worker thread (offer-worker.ts, spread by
 * scenarios.ts).
 */
import { Agent, request } from 'node:http';
import { LatencyHistogram } from '../lib/histogram.js';
import { rng, zipf } from '../lib/random.js';

/** Whose checks a generator sends: warm-up keys, or the measured keys (a Zipf tail, and maybe one hot key). */
export type UserPicks = { kind: 'warm' } | { kind: 'zipf'; keys: number; hotShare: number };

export interface OfferPlan {
  /**
   * The decision API's base URLs: one server, or instances sharing one Redis, to which requests
   * go in turn (round robin, as a load balancer in front of them would send them).
   */
  httpUrls: string[];
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
  /** Requests answered by each of the plan's URLs, in order. */
  requestsByUrl: number[];
  errors: number;
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

/**
 * Offers the plan's rate for its duration; calls onDecision for every decision answered.
 *
 * Open loop, paced: request i is due at i / (request rate) after the start, whatever the answers
 * before it, and waits for a free connection (at most `connections` at once) if none is; its
 * latency counts from when it was due, so a server that falls behind shows it in the latency
 * instead of slowing the load down (no coordinated omission). A run is a number of requests (the
 * rate times the duration), not a time: it ends once every request has its answer, so no
 * decision the server made goes unseen by the replay (a run cut at a time loses the answers in
 * flight, and the replay then finds false denies that are the harness's). It takes longer when
 * the server cannot keep up, bounded at twice the duration plus 10 s; `seconds` is the time to
 * the last answer.
 */
export function offer(plan: OfferPlan, onDecision: OnDecision): Promise<LoadRun> {
  const random = rng(plan.seed + 1);
  const pickUser = userPicker(plan.users, plan.seed);
  const requestRate = Math.max(1, plan.rate / ((1 + plan.batchSize) / 2)); // per second
  const amount = Math.max(1, Math.round(requestRate * plan.durationS));
  const urls = plan.httpUrls.map((u) => new URL('/v1/check_and_consume', u));
  const perUrl = Math.max(1, Math.ceil(plan.connections / urls.length));
  const agents = urls.map(() => new Agent({ keepAlive: true, maxSockets: perUrl }));
  const { policy, keepTimeline, epochMs } = plan;
  const item = (user: string) => `{"policy":"${policy}","subject":{"user":"${user}"}}`;
  const run: LoadRun = {
    requests: 0,
    requestsByUrl: urls.map(() => 0),
    errors: 0,
    non2xx: 0,
    seconds: 0,
    latency: new LatencyHistogram(),
    stores: {},
    timeline: keepTimeline ? [] : undefined,
    decisionLatency: { sumMs: 0, decisions: 0 },
  };
  const answered = (users: string[], body: string, ms: number) => {
    const parsed = JSON.parse(body);
    const decisions: { allowed: boolean; now: number; store: string }[] = Array.isArray(parsed) ? parsed : [parsed];
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
      for (const agent of agents) agent.destroy();
      resolve(run);
    };
    const settle = () => {
      if (++settled === amount) finish();
    };
    const send = (dueAt: number, i: number) => {
      const users = Array.from({ length: random() < 0.5 ? 1 : plan.batchSize }, pickUser);
      const body = users.length === 1 ? item(users[0] as string) : `[${users.map(item).join(',')}]`;
      let done = false;
      const failed = () => {
        if (done || over) return;
        done = true;
        run.errors++;
        settle();
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
            if (done || over) return;
            done = true;
            const at = performance.now();
            run.requests++;
            (run.requestsByUrl[i % urls.length] as number)++;
            run.latency.record(at - dueAt);
            run.seconds = (at - started) / 1000;
            if (res.statusCode === 200) answered(users, text, at - dueAt);
            else run.non2xx++;
            settle();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer in time')));
      req.on('error', failed);
      req.end(body);
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
