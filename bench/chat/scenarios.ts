/**
 * Chat scenarios. Fairness: every target gets the same clients, schedule (seeded), payload,
 * warm-up and measured duration.
 */
import { LatencyHistogram } from '../lib/histogram.js';
import { Progress } from '../lib/progress.js';
import { type BenchResult, type ResultBase, resultBase, type ServerUsage } from '../lib/result.js';
import { ServerSampler } from '../lib/server-sampler.js';
import type { Target } from '../lib/target.js';
import { ChatLoad, type Measurement, type Member } from './chat-load.js';

export interface ChatOptions {
  clients: number;
  roomSize: number;
  rate: number;
  durationS: number;
  warmupS: number;
  payload: number;
  seed: number;
  /** Seconds over which the clients connect. */
  connectS: number;
  /** churn: share of clients that reconnect every second. */
  churnFraction: number;
  /** capacity: seconds per step. */
  stepS: number;
  /** capacity: the last step's chats per second per client. */
  maxRate: number;
  quiet: boolean;
  pinned: boolean;
}

/** Defaults of each scenario (the command line overrides any of them). */
export const CHAT_DEFAULTS: Record<string, Partial<ChatOptions>> = {
  steady: { clients: 100, roomSize: 100, rate: 1, durationS: 300, warmupS: 10, connectS: 2 },
  burst: { clients: 1000, roomSize: 10, rate: 1, durationS: 60, warmupS: 5, connectS: 10 },
  churn: { clients: 500, roomSize: 10, rate: 1, durationS: 60, warmupS: 5, connectS: 5, churnFraction: 0.1 },
  rooms: { clients: 1000, roomSize: 10, rate: 1, durationS: 60, warmupS: 5, connectS: 5 },
  capacity: { clients: 100, roomSize: 10, rate: 1, durationS: 5, warmupS: 2, connectS: 2, stepS: 5 },
};

/** Server settings a harness-started profile needs for the scenario (the contract's limit of
 * 10 msg/s per connection would cap the capacity search). */
export const CHAT_SERVER_ENV: Record<string, Record<string, string>> = {
  capacity: { RATE_LIMIT_CAPACITY: '1000000', RATE_LIMIT_REFILL_PER_SEC: '1000000' },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * RSS over a second of samples: the lowest before clients connect, the highest once they joined,
 * so that memory the runtime gives back or takes in passing does not hide the growth.
 */
async function sampleRss(target: Target, pick: (values: number[]) => number): Promise<number | undefined> {
  const values: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = await target.stats();
    if (s) values.push(s.rssBytes);
    await sleep(200);
  }
  return values.length ? pick(values) : undefined;
}

/** Connects every member over `connectS` seconds; returns the connect-phase figures. */
async function connectAll(load: ChatLoad, members: readonly Member[], connectS: number) {
  const times = new LatencyHistogram();
  let failed = 0;
  const started = performance.now();
  const attempts = members.map(async (member, i) => {
    await sleep(((connectS * 1000) / members.length) * i - (performance.now() - started));
    try {
      times.record(await load.connect(member));
    } catch {
      failed++;
    }
  });
  await Promise.all(attempts);
  const attempted = members.length;
  return {
    attempted,
    succeeded: attempted - failed,
    successPct: ((attempted - failed) / attempted) * 100,
    seconds: (performance.now() - started) / 1000,
    latency: times.summary(),
  };
}

const baseResult = (scenario: string, target: Target, options: ChatOptions): ResultBase =>
  resultBase(scenario, target, 'messages', options);

function fill(result: ResultBase, m: Measurement): BenchResult {
  const dropped = m.expected - m.delivered;
  const full: BenchResult = {
    ...result,
    total: m.received,
    processingSeconds: m.seconds,
    throughputPerSec: m.received / m.seconds,
    latency: m.latency,
    drops: {
      expected: m.expected,
      received: m.delivered,
      dropPct: m.expected ? (dropped / m.expected) * 100 : 0,
      seqGaps: m.seqGaps,
      ...(m.inFlightAtLeave > 0 ? { inFlightAtLeave: m.inFlightAtLeave } : {}),
      ...(m.beforeJoinAck > 0 ? { beforeJoinAck: m.beforeJoinAck } : {}),
    },
  };
  full.details.sentMessages = m.sent;
  if (Object.keys(m.errors).length > 0) full.details.errorFrames = m.errors;
  if (m.foreign > 0) full.failures.push(`${m.foreign} messages delivered outside their room`);
  return full;
}

/** Connect, warm up, measure: steady, burst and rooms differ only in their options. */
async function runChat(scenario: string, target: Target, options: ChatOptions): Promise<BenchResult> {
  const progress = new Progress('deliveries', options.quiet);
  progress.start();
  const load = new ChatLoad(target.wsUrl, options, progress);
  try {
    const rssBefore = await sampleRss(target, (v) => Math.min(...v));
    progress.phase = 'connect';
    const connect = await connectAll(load, load.members, options.connectS);
    const rssJoined = await sampleRss(target, (v) => Math.max(...v));
    progress.phase = 'warm-up';
    load.startSending();
    await sleep(options.warmupS * 1000);
    progress.phase = 'measure';
    const sampler = new ServerSampler(target);
    await sampler.begin();
    const window = load.beginMeasure();
    await sleep(options.durationS * 1000);
    load.stopSending();
    progress.phase = 'drain';
    const m = await window.stop();
    const usage = await sampler.end(m.received);
    const result = fill(baseResult(scenario, target, options), m);
    result.connections = { attempted: connect.attempted, succeeded: connect.succeeded, successPct: connect.successPct };
    if (scenario === 'burst') {
      result.details.connectPhase = {
        seconds: Number(connect.seconds.toFixed(3)),
        connectsPerSec: Math.round(connect.succeeded / connect.seconds),
        connectToJoinMs: connect.latency,
      };
    }
    if (rssBefore !== undefined && rssJoined !== undefined && usage) {
      result.server = {
        ...usage,
        rssBytesBefore: rssBefore,
        // the peak of the whole run: the connect phase's samples too
        rssBytesPeak: Math.max(usage.rssBytesPeak ?? 0, rssJoined),
        memoryPerConnectionBytes: connect.succeeded
          ? Math.max(0, rssJoined - rssBefore) / connect.succeeded
          : undefined,
      };
    }
    return result;
  } finally {
    progress.stop();
    await load.closeAll();
  }
}

export const runSteady = (t: Target, o: ChatOptions) => runChat('steady', t, o);
export const runBurst = (t: Target, o: ChatOptions) => runChat('burst', t, o);
/** rooms: any message seen outside its room fails the run (`failures`). */
export const runRooms = (t: Target, o: ChatOptions) => runChat('rooms', t, o);

/**
 * churn: a constant number of clients, a share of which disconnect and reconnect (to the same
 * room) every second. Reports the recovery time (disconnect to the new connection's join
 * acknowledged) and checks for leaks: /stats back to its baseline once everyone left.
 */
export async function runChurn(target: Target, options: ChatOptions): Promise<BenchResult> {
  const progress = new Progress('deliveries', options.quiet);
  progress.start();
  const load = new ChatLoad(target.wsUrl, options, progress);
  const recovery = new LatencyHistogram();
  let reconnectFailures = 0;
  let cycles = 0;
  try {
    const before = await target.stats();
    progress.phase = 'connect';
    const connect = await connectAll(load, load.members, options.connectS);
    load.startSending();
    progress.phase = 'warm-up';
    await sleep(options.warmupS * 1000);
    progress.phase = 'measure';
    const sampler = new ServerSampler(target);
    await sampler.begin();
    const window = load.beginMeasure();
    const perSecond = Math.max(1, Math.round(options.clients * options.churnFraction));
    let next = 0;
    const churnOnce = async (member: Member) => {
      const started = performance.now();
      await load.disconnect(member);
      try {
        await load.connect(member);
        recovery.record(performance.now() - started);
        cycles++;
      } catch {
        reconnectFailures++;
      }
    };
    const end = performance.now() + options.durationS * 1000;
    while (performance.now() < end) {
      const batch = Array.from({ length: perSecond }, () => load.members[next++ % load.members.length] as Member);
      const tick = sleep(1000);
      await Promise.all(batch.map(churnOnce));
      await tick;
    }
    load.stopSending();
    progress.phase = 'drain';
    const m = await window.stop();
    const usage = await sampler.end(m.received);
    progress.phase = 'leak check';
    await load.closeAll();
    const after = before ? await waitForBaseline(target, before.connections, before.rooms) : undefined;
    const result = fill(baseResult('churn', target, options), m);
    result.connections = {
      attempted: connect.attempted + cycles + reconnectFailures,
      succeeded: connect.succeeded + cycles,
      successPct: ((connect.succeeded + cycles) / (connect.attempted + cycles + reconnectFailures)) * 100,
    };
    result.details.reconnects = cycles;
    result.details.reconnectRecoveryMs = recovery.summary();
    if (before && after) {
      result.details.afterwards = { connections: after.connections, rooms: after.rooms };
      if (after.connections !== before.connections || after.rooms !== before.rooms) {
        result.failures.push(
          `leak: /stats shows ${after.connections} connections and ${after.rooms} rooms, baseline ${before.connections} and ${before.rooms}`,
        );
      }
    }
    if (before && usage) {
      result.server = { ...usage, rssBytesBefore: before.rssBytes };
    }
    return result;
  } finally {
    progress.stop();
    await load.closeAll();
  }
}

async function waitForBaseline(target: Target, connections: number, rooms: number) {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const s = await target.stats();
    if (!s || (s.connections === connections && s.rooms === rooms) || performance.now() > deadline) return s;
    await sleep(100);
  }
}

/**
 * capacity: the same clients chat faster step by step (rate x2 per step) until p95 end-to-end
 * latency passes 50 ms or drops pass 1%, then bisect between the last step that held and the
 * first that failed, to within an eighth; the result is the highest step that held.
 */
export async function runCapacity(target: Target, options: ChatOptions): Promise<BenchResult> {
  const progress = new Progress('deliveries', options.quiet);
  progress.start();
  const load = new ChatLoad(target.wsUrl, options, progress);
  const steps: {
    ratePerClient: number;
    offeredDeliveriesPerSec: number;
    deliveriesPerSec: number;
    p95Ms: number;
    p99Ms: number;
    dropPct: number;
    held: boolean;
    cpuPct?: number;
  }[] = [];
  let best: { m: Measurement; usage?: ServerUsage } | undefined;
  try {
    const before = await target.stats();
    progress.phase = 'connect';
    const connect = await connectAll(load, load.members, options.connectS);
    // double the rate until a step fails, then bisect between the last held and the failed rate
    let held = 0;
    let failed = 0;
    let rate = options.rate;
    for (let n = 0; n < 40 && rate <= options.maxRate; n++) {
      progress.phase = `step ${rate}/s`;
      load.startSending(rate);
      await sleep(options.warmupS * 1000);
      const sampler = new ServerSampler(target);
      await sampler.begin();
      const window = load.beginMeasure();
      await sleep(options.stepS * 1000);
      load.stopSending();
      const m = await window.stop();
      const usage = await sampler.end(m.received);
      const s = m.latency;
      const dropPct = m.expected ? ((m.expected - m.delivered) / m.expected) * 100 : 0;
      const ok = s.p95Ms <= 50 && dropPct <= 1;
      steps.push({
        ratePerClient: rate,
        offeredDeliveriesPerSec: Math.round(m.expected / m.seconds),
        deliveriesPerSec: Math.round(m.received / m.seconds),
        p95Ms: s.p95Ms,
        p99Ms: s.p99Ms,
        dropPct: Number(dropPct.toFixed(3)),
        held: ok,
        cpuPct: typeof usage?.cpuPct === 'number' ? Number(usage.cpuPct.toFixed(1)) : undefined,
      });
      if (ok) {
        held = rate;
        if (!best || m.received / m.seconds > best.m.received / best.m.seconds) best = { m, usage };
      } else {
        failed = rate;
      }
      await sleep(1000); // settle before the next step
      if (failed === 0) rate *= 2;
      else if (failed - held <= Math.max(1, held / 8))
        break; // within 1/8 of the last octave
      else rate = Math.round((held + failed) / 2);
    }
    const result = best
      ? fill(baseResult('capacity', target, options), best.m)
      : {
          ...baseResult('capacity', target, options),
          total: 0,
          processingSeconds: 0,
          throughputPerSec: 0,
          latency: new LatencyHistogram().summary(),
        };
    result.connections = { attempted: connect.attempted, succeeded: connect.succeeded, successPct: connect.successPct };
    result.details.steps = steps;
    result.details.highestStepThatHeld = best ? `${Math.round(best.m.received / best.m.seconds)} deliveries/s` : 'none';
    if (failed === 0) result.details.note = `every step held up to ${options.maxRate} chats/s per client (--max-rate)`;
    if (!best) result.failures.push('even the first step did not hold (p95 > 50 ms or drops > 1%)');
    if (before && best?.usage) {
      result.server = { ...best.usage, rssBytesBefore: before.rssBytes };
      // what one core of server CPU delivers at that step, whatever the number of processes
      if (best.usage.cpuMicrosPerUnit)
        result.details.deliveriesPerServerCore = Math.round(1e6 / best.usage.cpuMicrosPerUnit);
    }
    return result;
  } finally {
    progress.stop();
    await load.closeAll();
  }
}
