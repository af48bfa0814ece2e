#!/usr/bin/env node
/**
 * A quick, closed-loop fan-out probe of one profile (until the benchmark harness exists).
 *
 *   taskset -c 1 node scripts/fanout-probe.mjs a|b [clients=50] [messagesPerClient=400] [window=4] [traced]
 *
 * `traced` (Profile A): every span exported over OTLP/HTTP to a local sink that discards them.
 *
 * Starts the profile from dist/ pinned to CPU 0 (run this script on CPU 1), with the rate limit
 * lifted. All clients join one room; each keeps `window` of its own chats in flight (it sends the
 * next one when its own echo comes back). Prints throughput, end-to-end latency at every
 * recipient, and the server's CPU time per message from GET /stats.
 */
import { createServer } from 'node:http';
import WebSocket from 'ws';
import { startProfile } from './probe-support.mjs';

const [profile = 'a', clientsArg = '50', perClientArg = '400', windowArg = '4', tracedArg = ''] = process.argv.slice(2);
const CLIENTS = Number(clientsArg);
const PER_CLIENT = Number(perClientArg);
const WINDOW = Number(windowArg);
const WARMUP = 50;

const env = { RATE_LIMIT_CAPACITY: '1000000', RATE_LIMIT_REFILL_PER_SEC: '1000000' };
let sink;
if (tracedArg === 'traced') {
  // Profile A exports every span (100% sampling) to an OTLP sink that accepts and discards.
  sink = createServer((req, res) => req.resume().on('end', () => res.end('{}')));
  await new Promise((r) => sink.listen(0, '127.0.0.1', r));
  env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${sink.address().port}`;
}
const server = await startProfile(profile, env);
const { port, stats } = server;

const text = 'x'.repeat(128);
const latencies = [];
let measuring = false;

async function runClient(index, ready, start) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  await new Promise((r) => ws.once('open', r));
  const user = `p${index}`;
  let sent = 0;
  let target = 0;
  let received = 0;
  let own = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  const sendOne = () => {
    sent++;
    ws.send(JSON.stringify({ type: 'chat', room: 'probe', text, ts: performance.now() }));
  };
  ws.on('message', (data) => {
    const frame = JSON.parse(data);
    if (frame.type !== 'chat') return;
    received++;
    if (measuring) latencies.push(performance.now() - frame.ts);
    if (frame.user === user) {
      own++;
      if (sent < target) sendOne();
    }
    if (received === expected && own === target) done();
  });
  let expected = 0;
  ws.send(JSON.stringify({ type: 'join', room: 'probe', user }));
  ready();
  await start.warmup;
  expected = CLIENTS * WARMUP;
  target = WARMUP;
  for (let i = 0; i < WINDOW; i++) sendOne();
  await finished;
  return { ws, measure: async () => {
    const again = new Promise((r) => (done = r));
    expected += CLIENTS * PER_CLIENT;
    target += PER_CLIENT;
    for (let i = 0; i < WINDOW; i++) sendOne();
    await again;
  } };
}

let release;
const warmup = new Promise((r) => (release = r));
const readies = [];
const runs = [];
for (let i = 0; i < CLIENTS; i++) {
  runs.push(new Promise((r) => readies.push(r)).then(() => undefined));
}
const clientsP = Array.from({ length: CLIENTS }, (_, i) => runClient(i, readies[i], { warmup }));
await Promise.all(runs);
await new Promise((r) => setTimeout(r, 300)); // let every join fan out
release();
const clients = await Promise.all(clientsP);
const before = await stats();
measuring = true;
const t0 = performance.now();
await Promise.all(clients.map((c) => c.measure()));
const seconds = (performance.now() - t0) / 1000;
measuring = false;
const after = await stats();
for (const c of clients) c.ws.close();
server.child.kill('SIGTERM');
sink?.close();

latencies.sort((x, y) => x - y);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(3);
const messages = CLIENTS * PER_CLIENT;
const cpuMs = (after.cpuUserMicros + after.cpuSystemMicros - before.cpuUserMicros - before.cpuSystemMicros) / 1000;
console.log(JSON.stringify({
  profile,
  traced: tracedArg === 'traced',
  clients: CLIENTS,
  window: WINDOW,
  messages,
  seconds: Number(seconds.toFixed(3)),
  messagesPerSec: Math.round(messages / seconds),
  deliveriesPerSec: Math.round((messages * CLIENTS) / seconds),
  latencyMs: { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1) },
  serverCpuMsPer1000Messages: Number(((cpuMs / messages) * 1000).toFixed(2)),
  serverRssMiB: Number((after.rssBytes / 2 ** 20).toFixed(1)),
}));
