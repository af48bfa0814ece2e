#!/usr/bin/env node
/**
 * A quick probe of the decision API of one profile (until the benchmark harness exists).
 *
 *   taskset -c 1 node scripts/limiter-probe.mjs a|b memory|redis [seconds=5] [batch=1] [connections=32]
 *
 * Starts the profile from dist/ pinned to CPU 0 (and, for `redis`, a private redis-server on
 * CPU 1 beside this script), then POSTs /v1/check_and_consume with autocannon for `seconds`:
 * one decision per request on the per-user policy with users spread over 10 000 keys, or
 * batches of `batch`. Prints decisions/s, which store decided them, request latency and the
 * server's CPU per decision.
 */
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { freePort, pin, startProfile, wait } from './probe-support.mjs';

const [profile = 'a', store = 'memory', secondsArg = '5', batchArg = '1', connectionsArg = '32'] = process.argv.slice(2);
if (!['memory', 'redis'].includes(store)) throw new Error('usage: a|b memory|redis [seconds] [batch] [connections]');
const seconds = Number(secondsArg);
const batch = Number(batchArg);

const children = [];
const env = {};
if (store === 'redis') {
  const redisPort = await freePort();
  const [cmd, ...args] = [...pin('1'), 'redis-server', '--port', String(redisPort), '--save', '', '--appendonly', 'no'];
  children.push(spawn(cmd, args, { stdio: 'ignore' }));
  Object.assign(env, { LIMITER_STORE: 'redis', REDIS_URL: `redis://127.0.0.1:${redisPort}` });
  await wait(300);
}
const server = await startProfile(profile, env);
children.push(server.child);
const { base, stats } = server;

let n = 0;
const one = () => ({ policy: 'per-user', subject: { user: `u${n++ % 10_000}` } });
const body = () => JSON.stringify(batch === 1 ? one() : Array.from({ length: batch }, one));
/** Which store decided: every decision of every response is counted. */
const stores = {};
const tally = (_status, responseBody) => {
  for (const m of responseBody.matchAll(/"store":"(\w+)"/g)) stores[m[1]] = (stores[m[1]] ?? 0) + 1;
};
const run = (duration) =>
  autocannon({
    url: `${base}/v1/check_and_consume`,
    method: 'POST',
    connections: Number(connectionsArg),
    duration,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: body() }), onResponse: tally }],
  });

await run(1); // warm-up
for (const key of Object.keys(stores)) delete stores[key];
const before = await stats();
const result = await run(seconds);
const after = await stats();
for (const child of children) child.kill('SIGTERM');

const decisions = result.requests.total * batch;
const cpuMs = (after.cpuUserMicros + after.cpuSystemMicros - before.cpuUserMicros - before.cpuSystemMicros) / 1000;
console.log(
  JSON.stringify({
    profile,
    store,
    batch,
    connections: Number(connectionsArg),
    seconds,
    requestsPerSec: Math.round(result.requests.average),
    decisionsPerSec: Math.round(decisions / seconds),
    non2xx: result.non2xx,
    decidedBy: stores,
    errors: result.errors,
    latencyMs: { p50: result.latency.p50, p97_5: result.latency.p97_5, p99: result.latency.p99, max: result.latency.max },
    serverCpuMicrosPerDecision: Number(((cpuMs * 1000) / decisions).toFixed(2)),
  }),
);
