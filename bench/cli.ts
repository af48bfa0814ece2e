/**
 * npm run bench -- <scenario> [--target a|b|go|ws://host:port/ws|http://host:port] [options]
 * npm run bench:compare -- <scenario> [--rounds 3] [options]
 * npm run bench:compare -- normal|hotkey|degrade --protocols http,grpc [--targets b,a] [options]
 * npm run bench:compare -- --render results/<date>-<scenario>   (the reports again, from runs.json)
 *
 * The load generator pins itself to LOAD_CPU (CPU 1 on two cores: every CPU but 0) and started
 * profiles run on CPU 0 (taskset).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compare, compareMany, compareProtocols, compareRedises, renderAgain } from './compare.js';
import { type Protocol, PROTOCOLS } from './limiter/offer.js';
import { startOtlpSink } from './lib/otlp-sink.js';
import { formatResult } from './lib/result.js';
import { LOAD_CPU, tasksetAvailable } from './lib/target.js';
import { type Overrides, runScenario, SCENARIOS } from './run.js';

const USAGE = `usage:
  npm run bench -- <scenario> [--target a|a-express|a-fastify|b|go|cluster|ledger:<rung>|ws://host:port/ws|http://host:port] [options]
  npm run bench:compare -- <scenario> [--rounds 3] [--targets go,b,a,ledger:pipe,http://host:port] [options]
  npm run bench:compare -- normal|hotkey|degrade --protocols http,grpc [--targets b,a] [options]
      (each target over each protocol in turn: b http, b grpc, a http, a grpc in one report)
  npm run bench:compare -- --render DIR   (report.md and report.html again from DIR/runs.json)
  npm run bench:ledger -- limiter|chat [--rounds 3] [--rate N --duration S ...]   (B to A, rung by rung)
scenarios: ${SCENARIOS.join(', ')}
options: --clients N --rate N --duration S --warmup S --payload N --rooms N --room-size N --seed N
         --connect S --churn F --step S --max-rate N --batch N --connections N --keys N --policy NAME
         --out DIR --quiet
         --protocol http|grpc (normal, hotkey, degrade: the checks over the decision API, or over
                               Envoy's rate limit service, ShouldRateLimit in domain edge, with
                               --policy per-user; default http)
         --grpc host:port (a URL target: its rate limit service, for --protocol grpc)
         --traced (a started Profile A exports every span to a local OTLP sink that discards them)
         --cpu-prof (a started a or b runs under node --cpu-prof: its profile is saved under
                     OUT/profiles, summarised as self time by package over the measured phase)
         --generators N (normal, hotkey, degrade: load generator threads sharing the rate; default
                         one per CPU of the load generator, one on two cores)
         --instances N (degrade: N instances of the profile sharing one Redis, requests in turn; default 1)
         --store redis|memory (normal, hotkey on a started profile: the limiter's store; default
                               redis, a private Redis on the load generator's CPU)
         --redis single|cluster (normal, hotkey with --store redis, and --bus redis: one
                                 redis-server, or a Redis Cluster of three masters,
                                 REDIS_CLUSTER_NODES; default single)
         --redises single,cluster (bench:compare: each target on each, in turn, in one report)
         --bus redis (a started Profile A routes room events through a private Redis: CHAT_BUS=redis)
         --workers N (--target cluster: npm run start:cluster with N workers; default one per core)
         --server-cpus LIST (taskset CPUs of a started server and its Redis; default 0)`;

// The load generator runs on its own CPU: re-run this command under taskset once.
if (process.env.BENCH_PINNED !== '1' && tasksetAvailable()) {
  const run = spawnSync('taskset', ['-c', LOAD_CPU, process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_PINNED: '1' },
  });
  process.exit(run.status ?? 1);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    compare: { type: 'boolean' },
    ledger: { type: 'boolean' },
    targets: { type: 'string' },
    target: { type: 'string', default: 'a' },
    rounds: { type: 'string', default: '3' },
    clients: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    payload: { type: 'string' },
    rooms: { type: 'string' },
    'room-size': { type: 'string' },
    seed: { type: 'string' },
    connect: { type: 'string' },
    churn: { type: 'string' },
    step: { type: 'string' },
    'max-rate': { type: 'string' },
    batch: { type: 'string' },
    connections: { type: 'string' },
    keys: { type: 'string' },
    policy: { type: 'string' },
    protocol: { type: 'string' },
    protocols: { type: 'string' },
    redis: { type: 'string' },
    redises: { type: 'string' },
    grpc: { type: 'string' },
    out: { type: 'string', default: 'results' },
    quiet: { type: 'boolean', default: false },
    traced: { type: 'boolean', default: false },
    bus: { type: 'string' },
    store: { type: 'string' },
    generators: { type: 'string' },
    instances: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    workers: { type: 'string' },
    'server-cpus': { type: 'string' },
    render: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.render !== undefined) {
  renderAgain(values.render);
  process.stdout.write(`rendered ${values.render}/report.md and report.html from runs.json\n`);
  process.exit(0);
}
const scenario = positionals[0];

if (values.help || !scenario || (!values.ledger && !SCENARIOS.includes(scenario))) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(values.help ? 0 : 2);
}
const protocols = values.protocols?.split(',').filter((p) => p !== '');
for (const protocol of [values.protocol, ...(protocols ?? [])]) {
  if (protocol !== undefined && !(PROTOCOLS as readonly string[]).includes(protocol)) {
    process.stderr.write(`--protocol and --protocols take ${PROTOCOLS.join(', ')}, got ${protocol}\n${USAGE}\n`);
    process.exit(2);
  }
}
const redises = values.redises?.split(',').filter((r) => r !== '');
for (const kind of [values.redis, ...(redises ?? [])]) {
  if (kind !== undefined && kind !== 'single' && kind !== 'cluster') {
    process.stderr.write(`--redis and --redises take single, cluster, got ${kind}\n${USAGE}\n`);
    process.exit(2);
  }
}
if (redises !== undefined && (!values.compare || values.redis !== undefined || protocols !== undefined)) {
  process.stderr.write(
    `--redises is an option of bench:compare, instead of --redis (and not with --protocols)\n${USAGE}\n`,
  );
  process.exit(2);
}
if (protocols !== undefined && (!values.compare || values.protocol !== undefined || protocols.length === 0)) {
  process.stderr.write(`--protocols is an option of bench:compare, instead of --protocol\n${USAGE}\n`);
  process.exit(2);
}
if (values.store !== undefined && values.store !== 'memory' && values.store !== 'redis') {
  process.stderr.write(`--store must be memory or redis\n${USAGE}\n`);
  process.exit(2);
}

const num = (v: string | undefined) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`not a number: ${v}\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
};
const overrides: Overrides = {
  clients: num(values.clients),
  rate: num(values.rate),
  durationS: num(values.duration),
  warmupS: num(values.warmup),
  payload: num(values.payload),
  rooms: num(values.rooms),
  roomSize: num(values['room-size']),
  seed: num(values.seed),
  connectS: num(values.connect),
  churnFraction: num(values.churn),
  stepS: num(values.step),
  maxRate: num(values['max-rate']),
  batchSize: num(values.batch),
  connections: num(values.connections),
  keys: num(values.keys),
  policy: values.policy,
  protocol: values.protocol as Protocol | undefined,
  store: values.store as 'memory' | 'redis' | undefined,
  redis: values.redis as 'single' | 'cluster' | undefined,
  generators: num(values.generators),
  instances: num(values.instances),
  quiet: values.quiet,
  pinned: process.env.BENCH_PINNED === '1',
};

if (values.ledger) {
  const { ledger } = await import('./ledger.js');
  const result = await ledger(scenario ?? '', overrides, Number(values.rounds), values.out as string);
  for (const r of result.rows)
    process.stdout.write(
      `${r.target.padEnd(22)} ${r.cpuMicrosPerUnit.median.toFixed(2).padStart(8)} µs per ${scenario === 'chat' ? 'delivery' : 'check'}  ${r.incrementMicros >= 0 ? '+' : ''}${r.incrementMicros.toFixed(2)}\n`,
    );
  process.stdout.write(`report: ${result.dir}/report.md and report.html\n`);
  process.exit(0);
}
const urlTargetOptions = values.grpc !== undefined ? { grpc: values.grpc } : {};
if (values.compare && redises !== undefined) {
  const targets = (values.targets ?? 'b,a').split(',').filter((t) => t !== '');
  const report = await compareRedises(
    scenario,
    targets,
    redises as ('single' | 'cluster')[],
    overrides,
    Number(values.rounds),
    values.out as string,
  );
  process.stdout.write(`${report.summary}\nreport: ${report.dir}/report.md and report.html\n`);
} else if (values.compare && protocols !== undefined) {
  const targets = (values.targets ?? 'b,a').split(',').filter((t) => t !== '');
  if (targets.length * protocols.length < 2) {
    process.stderr.write(`--protocols compares two runs or more: two protocols, or two targets\n${USAGE}\n`);
    process.exit(2);
  }
  const report = await compareProtocols(
    scenario,
    targets,
    protocols as Protocol[],
    overrides,
    Number(values.rounds),
    values.out as string,
    urlTargetOptions,
  );
  process.stdout.write(`${report.summary}\nreport: ${report.dir}/report.md and report.html\n`);
} else if (values.compare && values.targets !== undefined) {
  const targets = values.targets.split(',').filter((t) => t !== '');
  if (targets.length < 2) {
    process.stderr.write(`--targets needs two targets or more, comma-separated\n${USAGE}\n`);
    process.exit(2);
  }
  const report = await compareMany(
    scenario,
    targets,
    overrides,
    Number(values.rounds),
    values.out as string,
    urlTargetOptions,
  );
  process.stdout.write(`${report.summary}\nreport: ${report.dir}/report.md and report.html\n`);
} else if (values.compare) {
  const report = await compare(scenario, overrides, Number(values.rounds), values.out as string);
  process.stdout.write(`${report.summary}\nreport: ${report.dir}/report.md and report.html\n`);
} else {
  const sink = values.traced ? await startOtlpSink() : undefined;
  const env: Record<string, string> = sink ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint } : {};
  if (values.bus !== undefined && values.bus !== 'local' && values.bus !== 'redis') {
    process.stderr.write(`--bus must be local or redis\n${USAGE}\n`);
    process.exit(2);
  }
  if (values['server-cpus'] !== undefined && !/^[0-9]+([,-][0-9]+)*$/.test(values['server-cpus'])) {
    process.stderr.write(`--server-cpus must be a taskset CPU list such as 0 or 0,1\n${USAGE}\n`);
    process.exit(2);
  }
  const result = await runScenario(scenario, values.target as string, overrides, env, {
    bus: values.bus as 'local' | 'redis' | undefined,
    // the chat scenarios: --redis cluster puts the bus's private Redis on a cluster
    ...(values.redis === 'cluster' && values.bus === 'redis' ? { busRedis: 'cluster' as const } : {}),
    workers: num(values.workers),
    serverCpus: values['server-cpus'],
    ...urlTargetOptions,
    ...(values['cpu-prof'] ? { cpuProfileDir: resolve(values.out as string, 'profiles') } : {}),
  });
  await sink?.close();
  if (sink) result.details.traced = 'every span exported over OTLP/HTTP to a local sink';
  process.stdout.write(`${formatResult(result)}\n`);
  const dir = join(values.out as string, 'runs');
  mkdirSync(dir, { recursive: true });
  const file = join(
    dir,
    `${result.startedAt.replace(/[:.]/g, '-')}-${scenario}-${result.target.replace(/[^a-z0-9]+/gi, '_')}.json`,
  );
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`result: ${file}\n`);
  if (result.failures.length > 0) process.exitCode = 1;
}
