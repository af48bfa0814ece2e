/**
 * A worker thread running one generator of a spread limiter load (scenarios.ts, --generators N):
 * it offers its plan, tells the parent how many decisions it has every 250 ms, and at the end
 * sends its run and every decision (users, server times, outcomes) for the parent's replay.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type LoadRun, offer, type OfferPlan } from './offer.js';

/** A generator's run as it crosses to the parent: the latencies encoded, every decision in arrays. */
export type WorkerDone = Omit<LoadRun, 'latency'> & {
  /** LatencyHistogram.encode() */
  latency: string;
  users: string[];
  now: number[];
  allowed: boolean[];
  /** The store that decided each decision. */
  deciders: string[];
};

export type WorkerMessage = { progress: number } | { done: WorkerDone };

const port = parentPort;
if (!port) throw new Error('offer-worker.js runs as a worker thread of the harness');
const users: string[] = [];
const now: number[] = [];
const allowed: boolean[] = [];
const deciders: string[] = [];
let told = 0;
const progress = setInterval(() => {
  port.postMessage({ progress: users.length - told } satisfies WorkerMessage);
  told = users.length;
}, 250);
const run = await offer(workerData as OfferPlan, (user, at, ok, store) => {
  users.push(user);
  now.push(at);
  allowed.push(ok);
  deciders.push(store);
});
clearInterval(progress);
port.postMessage({ progress: users.length - told } satisfies WorkerMessage);
port.postMessage({
  done: { ...run, latency: run.latency.encode(), users, now, allowed, deciders },
} satisfies WorkerMessage);
