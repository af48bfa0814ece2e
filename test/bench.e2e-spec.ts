/**
 * Self-tests of the benchmark harness with tiny loads against both profiles: every scenario
 * runs, counts what it should and applies its checks; the report renders; the command line
 * prints the standard block. Figures are not asserted: a test never asserts a timing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../bench/report/markdown.js';
import { compareRows, type Row, verdict } from '../bench/report/rows.js';
import { formatResult } from '../bench/lib/result.js';
import { renderHtml } from '../bench/report/html.js';
import { runScenario } from '../bench/run.js';
import { openTarget } from '../bench/lib/target.js';
import type { BenchResult } from '../bench/lib/result.js';
import { CHAT_LADDER, LIMITER_LADDER, ledger } from '../bench/ledger.js';
import { compareMany, compareProtocols } from '../bench/compare.js';

// Short phases: these runs check what the harness counts and reports, not how much. Where a test
// asserts a CPU figure above zero, its run keeps the volume (deliveries, checks) it had over longer
// phases, at a higher rate, so that /proc's 10 ms ticks have as much to count.
const tiny = { quiet: true, warmupS: 0.1, durationS: 0.5, connectS: 0.1 };
const STANDARD_BLOCK =
  /^--- Statistics ---\nTotal (messages|checks): \d+\nProcessing time: \d+\.\d{3}s\nAverage latency: \d+\.\d{3}ms\nThroughput: \d+\.\d{2} (messages|checks)\/sec\n/;

/**
 * A run several tests read, made when the first of them asks (whichever runs first, or alone
 * under -t) and shared with the others: a run costs seconds, reading it again nothing.
 */
function shared<T>(run: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= run());
}

// steady on each profile, 20 clients in one room at 4 chats/s (the 800 deliveries of two seconds
// at 1/s): read by its profile's test, and set against the other profile's in the comparison report
const steadyOn = (profile: 'a' | 'b') =>
  runScenario('steady', profile, { ...tiny, clients: 20, roomSize: 20, rate: 4 });
const steadyRun = { b: shared(() => steadyOn('b')), a: shared(() => steadyOn('a')) };

// bench:ledger's chat ladder: rooms on every rung, 40 clients in 4 rooms (rooms of 10) at 7 chats/s
// (840 deliveries in 0.3 s, about the 800 of a second at 2/s: every rung's CPU per delivery is
// asserted above zero). Read by its own test, and by rooms': its run on the rung `a` is rooms on a
// started Profile A
const chatLedger = shared(async () => {
  const out = mkdtempSync(join(tmpdir(), 'ledger-chat-'));
  const tinyLoad = { quiet: true, clients: 40, rooms: 4, rate: 7, connectS: 0.1, warmupS: 0.1, durationS: 0.3 };
  const { dir, rows } = await ledger('chat', tinyLoad, 1, out);
  return { dir, rows, runs: JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8')) };
});

describe('harness against the Go reference server (--target go)', () => {
  it('starts it pinned as the profiles: every delivery arrives, every decision on Redis replays without a mismatch', async () => {
    const chat = await runScenario('steady', 'go', { ...tiny, clients: 20, roomSize: 20, rate: 4 });
    expect(chat.failures).toEqual([]);
    expect(chat.target).toBe('go');
    expect(chat.connections).toEqual({ attempted: 20, succeeded: 20, successPct: 100 });
    expect(chat.drops?.seqGaps).toBe(0);
    expect(chat.drops?.received).toBe(chat.drops?.expected);
    expect(chat.total).toBeGreaterThan(0);
    expect(chat.server?.cpuMicrosPerUnit).toBeGreaterThan(0); // its process, from /proc
    const limiter = await runScenario('normal', 'go', {
      quiet: true,
      warmupS: 0.2,
      durationS: 0.5,
      rate: 2000,
      keys: 50,
    });
    expect(limiter.total).toBeGreaterThan(0);
    expect(limiter.details.accuracy).toMatchObject({ decisions: limiter.total, falseAllows: 0, falseDenies: 0 });
    expect(limiter.details.errorRatePct).toBe(0);
    expect((limiter.details.decidedBy as Record<string, number>).redis).toBeGreaterThan(0);
    expect(limiter.provenance?.serverSettings).toMatchObject({ LIMITER_STORE: 'redis' });
  });
});

describe.each(['b', 'a'] as const)('harness against profile %s', (profile) => {
  it('steady: every delivery arrives, counted and timed, with server figures', async () => {
    const r = await steadyRun[profile]();
    expect(r.failures).toEqual([]);
    expect(r.connections).toEqual({ attempted: 20, succeeded: 20, successPct: 100 });
    expect(r.drops?.seqGaps).toBe(0);
    expect(r.drops?.received).toBe(r.drops?.expected);
    expect(r.total).toBe(r.drops?.received);
    expect(r.total).toBeGreaterThan(0);
    expect(r.latency.count).toBe(r.total);
    expect(r.server?.cpuMicrosPerUnit).toBeGreaterThan(0);
    expect(r.server?.loadGenerator?.cpuPct).toBeGreaterThan(0); // the harness itself, watched
    expect(formatResult(r)).toMatch(STANDARD_BLOCK);
    expect(formatResult(r)).toMatch(/^Load generator: CPU \d+\.\d% of a core/m);
  });

  it('normal: on a Redis store by default, decisions are replayed through the reference algorithms without a mismatch', async () => {
    const r = await runScenario('normal', profile, { quiet: true, warmupS: 0.2, durationS: 0.5, rate: 2000, keys: 50 });
    expect(r.total).toBeGreaterThan(0);
    expect(r.details.accuracy).toMatchObject({ decisions: r.total, falseAllows: 0, falseDenies: 0 });
    expect(r.details.errorRatePct).toBe(0);
    // decided by the Redis the harness started, whose CPU is reported apart
    expect((r.details.decidedBy as Record<string, number>).redis).toBeGreaterThan(0);
    expect(r.details.fallbackWhileRedisHealthy).toBe(0);
    expect(r.details.redisCpu).toMatchObject({ pctOfACore: expect.any(Number), microsPerCheck: expect.any(Number) });
    // the server timed each of them on /metrics: its round trip's share of the latency
    expect(r.details.redisRoundTrip).toMatchObject({
      roundTrips: (r.details.decidedBy as Record<string, number>).redis,
      meanMs: expect.any(Number),
      meanDecisionLatencyMs: expect.any(Number),
      shareOfDecisionLatencyPct: expect.any(Number),
    });
    const trip = r.details.redisRoundTrip as { meanMs: number; shareOfDecisionLatencyPct: number };
    expect(trip.meanMs).toBeGreaterThan(0);
    // each decision's round trip lies within its request's latency
    expect(trip.shareOfDecisionLatencyPct).toBeGreaterThan(0);
    expect(trip.shareOfDecisionLatencyPct).toBeLessThanOrEqual(100);
    expect(r.provenance?.serverSettings).toMatchObject({ LIMITER_STORE: 'redis' });
    expect(r.provenance?.redis).toMatch(/^\d+\.\d+\.\d+/);
    expect(formatResult(r)).toMatch(STANDARD_BLOCK);
    expect(formatResult(r)).toMatch(/^fallbackWhileRedisHealthy: 0$/m);
  });

  it('normal over gRPC: ShouldRateLimit in domain edge, every decision replayed from its metadata without a mismatch', async () => {
    const r = await runScenario('normal', profile, {
      quiet: true,
      warmupS: 0.2,
      durationS: 0.5,
      rate: 2000,
      keys: 50,
      protocol: 'grpc',
    });
    expect(r.failures).toEqual([]);
    expect(r.target).toBe(`${profile} grpc`);
    expect(r.settings).toMatchObject({ protocol: 'grpc', policy: 'per-user' });
    expect(r.total).toBeGreaterThan(0);
    expect(r.details.accuracy).toMatchObject({ decisions: r.total, falseAllows: 0, falseDenies: 0 });
    expect(r.details.errorRatePct).toBe(0);
    expect(r.details.requests).toBe(r.latency.count);
    // the same store as over HTTP: the Redis the harness started
    expect((r.details.decidedBy as Record<string, number>).redis).toBeGreaterThan(0);
    expect(r.details.fallbackWhileRedisHealthy).toBe(0);
    // the gRPC port is the harness's own choice per run, as PORT is
    expect(r.provenance?.serverSettings).not.toHaveProperty('GRPC_PORT');
    expect(formatResult(r)).toMatch(STANDARD_BLOCK);
    expect(formatResult(r)).toMatch(new RegExp(`^Scenario: normal {3}Target: ${profile} grpc$`, 'm'));
  });

  it('normal on a Redis Cluster (--redis cluster): three masters, every decision replayed without a mismatch', async () => {
    // 2000/s as before (at twice that, on a busy machine, decisions fell back while Redis was up:
    // the three masters share the load generator's CPU), for a second and a half: enough ticks for
    // the masters' CPU, asserted above zero
    const r = await runScenario('normal', profile, {
      quiet: true,
      warmupS: 0.2,
      durationS: 1.5,
      rate: 2000,
      keys: 50,
      redis: 'cluster',
    });
    expect(r.failures).toEqual([]);
    expect(r.settings).toMatchObject({ redis: 'cluster', store: 'redis' });
    expect(r.details.accuracy).toMatchObject({ decisions: r.total, falseAllows: 0, falseDenies: 0 });
    expect((r.details.decidedBy as Record<string, number>).redis).toBeGreaterThan(0);
    expect(r.details.fallbackWhileRedisHealthy).toBe(0);
    // Redis' CPU is the three masters'
    expect((r.details.redisCpu as { microsPerCheck: number }).microsPerCheck).toBeGreaterThan(0);
    // the cluster's ports are the harness's own choice per run, as REDIS_URL's is
    expect(r.provenance?.serverSettings).toMatchObject({ LIMITER_STORE: 'redis' });
    expect(r.provenance?.serverSettings).not.toHaveProperty('REDIS_CLUSTER_NODES');
    await expect(runScenario('degrade', profile, { quiet: true, redis: 'cluster' })).rejects.toThrow(
      /--redis cluster is for normal and hotkey/,
    );
  });

  // normal on the in-memory store under --cpu-prof, read by the two tests below: the profile's, and
  // the store's (which profiling leaves as it is)
  const profiledOnMemory = shared(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-prof-'));
    const options = { quiet: true, warmupS: 0.2, durationS: 0.5, rate: 4000, keys: 50, store: 'memory' as const };
    return { dir, r: await runScenario('normal', profile, options, {}, { cpuProfileDir: dir }) };
  });

  it("--cpu-prof saves the server's CPU profile and sums its self time by package over the measured phase", async () => {
    const { dir, r } = await profiledOnMemory();
    expect(r.failures).toEqual([]);
    const file = resolve(r.cpuProfile?.file as string); // kept relative to the working directory
    expect(file.startsWith(dir)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveProperty('samples');
    expect(r.cpuProfile?.covers).toBe('measured phase');
    const names = r.cpuProfile?.byPackage.map((p) => p.name) ?? [];
    // A's framework and validation packages (together about a third of A's sampled time: tens of
    // milliseconds of a profile of these 2000 checks, so never absent; Nest alone is 2%) only in
    // A's profile
    const framework = /^(@nestjs\/.+|class-validator|class-transformer|express|body-parser)$/;
    expect(names.some((n) => framework.test(n))).toBe(profile === 'a');
    const pct = r.cpuProfile?.byPackage.reduce((sum, p) => sum + p.pct, 0) as number;
    expect(Math.abs(pct - 100)).toBeLessThan(1);
    expect(formatResult(r)).toMatch(/^Self time by package: .+ \d+\.\d%/m);
  });

  it('normal with --store memory decides in the server alone', async () => {
    const { r } = await profiledOnMemory();
    expect(r.settings).toMatchObject({ store: 'memory' });
    expect(r.details.decidedBy).toEqual({ memory: r.total });
    expect(r.details.redisCpu).toBeUndefined();
    expect(r.details.redisRoundTrip).toBeUndefined();
    expect(r.details.accuracy).toMatchObject({ falseAllows: 0, falseDenies: 0 });
  });
});

describe('harness scale-out targets', () => {
  it.each([
    ['a', { bus: 'redis' as const }, 'a+redis-bus', 2],
    // the bus on a Redis Cluster of three masters: node and three redis-servers
    ['a', { bus: 'redis' as const, busRedis: 'cluster' as const }, 'a+redis-cluster-bus', 4],
    ['cluster', { workers: 2 }, 'cluster-2', 4],
  ])(
    '%s %o: started with its own Redis, every delivery in order, Redis CPU counted apart',
    async (spec, options, name, processes) => {
      // 4 chats/s: the 400 deliveries of two seconds at 1/s, for the CPU figures compared below
      const r = await runScenario('steady', spec, { ...tiny, clients: 20, roomSize: 10, rate: 4 }, {}, options);
      expect(r.target).toBe(name);
      expect(r.failures).toEqual([]);
      expect(r.drops?.seqGaps).toBe(0);
      expect(r.drops?.received).toBe(r.drops?.expected);
      expect(r.total).toBeGreaterThan(0);
      // the server's CPU covers its Redis (and, for the cluster, the primary and both workers):
      // node and redis-server, or the primary, two workers and redis-server
      expect(r.server?.processes).toBe(processes);
      expect(r.server?.redisCpuPct).toBeGreaterThanOrEqual(0);
      expect(r.server?.cpuPct).toBeGreaterThan(r.server?.redisCpuPct as number);
      expect(formatResult(r)).toMatch(
        new RegExp(`CPU [\\d.]+% of a core \\(Redis [\\d.]+%\\) over ${processes} processes`),
      );
    },
  );
});

describe('harness scenarios', () => {
  it('burst reports its connect phase apart', async () => {
    // what burst adds is its connect phase: 50 connections in half a second
    const r = await runScenario('burst', 'b', { ...tiny, clients: 50, roomSize: 10, connectS: 0.5 });
    expect(r.failures).toEqual([]);
    expect(r.details.connectPhase).toMatchObject({ connectToJoinMs: { count: 50 } });
    // RSS growth spread over the 50 connections: never negative, never more than the peak allows
    const server = r.server as NonNullable<typeof r.server>;
    expect(server.memoryPerConnectionBytes).toBeGreaterThanOrEqual(0);
    expect((server.memoryPerConnectionBytes as number) * 50).toBeLessThanOrEqual(
      Math.max(0, (server.rssBytesPeak as number) - (server.rssBytesBefore as number)),
    );
    expect(server.processes).toBe(1);
  });

  it('rooms keeps every message in its room', async () => {
    // the chat ledger's run on `a` (the ledger is made here if its own test has not run yet)
    const { runs } = await chatLedger();
    const r = runs.runs[CHAT_LADDER.findIndex((rung) => rung.target === 'a')][0] as BenchResult;
    expect(r).toMatchObject({ scenario: 'rooms', target: 'a', settings: { clients: 40, roomSize: 10 } });
    expect(r.failures).toEqual([]);
    expect(r.drops?.received).toBe(r.drops?.expected);
  }, 120_000);

  it('churn reconnects clients, times the recovery and finds no leak', async () => {
    // a second of churn (a round each second): 6 of the 30 clients reconnect
    const r = await runScenario('churn', 'b', { ...tiny, clients: 30, roomSize: 5, churnFraction: 0.2, durationS: 1 });
    expect(r.failures).toEqual([]);
    expect(r.details.reconnects).toBeGreaterThanOrEqual(6);
    expect(r.details.afterwards).toEqual({ connections: 0, rooms: 0 });
    expect((r.details.reconnectRecoveryMs as { count: number }).count).toBe(r.details.reconnects);
    // owed per membership: every chat owed to a member that stayed arrived; what was on its way
    // to a member that left, or reached one before its join was acknowledged, is counted apart
    const drops = r.drops as NonNullable<typeof r.drops>;
    expect(drops.received).toBe(drops.expected);
    expect(drops.dropPct).toBe(0);
    expect(r.total).toBe(drops.received + (drops.beforeJoinAck ?? 0));
    expect(formatResult(r)).toMatch(/^Drops: 0 of \d+ \(0\.000%\), seq gaps: \d+/m);
  });

  it('capacity steps the rate up and reports the highest step that held', async () => {
    const r = await runScenario('capacity', 'b', {
      quiet: true,
      clients: 20,
      roomSize: 5,
      warmupS: 0.2,
      stepS: 0.5,
      connectS: 0.2,
      maxRate: 4,
    });
    const steps = r.details.steps as { ratePerClient: number }[];
    expect(steps.map((s) => s.ratePerClient)).toEqual([1, 2, 4]);
    expect(r.details.highestStepThatHeld).toMatch(/deliveries\/s$/);
  });

  it('normal offers the same checks for the same seed, and every one is answered before the run ends', async () => {
    const options = { quiet: true, warmupS: 0.2, durationS: 0.3, rate: 2000, keys: 50, store: 'memory' as const };
    const [first, second] = [await runScenario('normal', 'b', options), await runScenario('normal', 'b', options)];
    expect(first.total).toBeGreaterThan(0);
    expect(second.total).toBe(first.total);
    expect(first.details.requests).toBe(first.latency.count);
  });

  it("a started target records the settings it takes from the harness's environment", async () => {
    process.env.HTTP_PLATFORM = 'fastify';
    let server;
    try {
      server = await openTarget('a');
    } finally {
      delete process.env.HTTP_PLATFORM;
    }
    try {
      expect(server.serverSettings).toMatchObject({ HTTP_PLATFORM: 'fastify', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
      expect(server.serverSettings).not.toHaveProperty('PORT'); // the harness's own choice, per run
      expect((await fetch(`${server.httpUrl}/health`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('normal against a URL target says why it has no Redis round trip', async () => {
    const server = await openTarget('b');
    try {
      const r = await runScenario('normal', server.httpUrl, {
        quiet: true,
        warmupS: 0.2,
        durationS: 0.3,
        rate: 1000,
        keys: 20,
      });
      expect(r.details.decidedBy).toEqual({ memory: r.total }); // the server's own store
      expect(r.details.redisRoundTrip).toBeNull();
      expect(r.details.redisRoundTripUnavailable).toBe('no decision went to Redis in the measured phase');
      expect(formatResult(r)).toMatch(/^redisRoundTrip: null$/m);
    } finally {
      await server.stop();
    }
  });

  it('normal over gRPC against a URL target (--grpc host:port): the checks go over gRPC, none to the decision API', async () => {
    const server = await openTarget('b');
    // the URL target's HTTP side: healthy, and counting what comes to the decision API
    let checks = 0;
    const front = createServer((req, res) => {
      if (req.url === '/health') res.end('{"status":"ok"}');
      else {
        if (req.url?.startsWith('/v1/')) checks++;
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((done) => front.listen(0, '127.0.0.1', done));
    try {
      const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
      const options = { quiet: true, warmupS: 0.2, durationS: 0.3, rate: 1000, keys: 20, protocol: 'grpc' as const };
      const r = await runScenario('normal', url, options, {}, { grpc: server.grpcAddress as string });
      expect(r.target).toBe(`${url} grpc`);
      expect(r.total).toBeGreaterThan(0);
      expect(r.details.errorRatePct).toBe(0);
      expect(r.details.decidedBy).toEqual({ memory: r.total }); // the server's own store
      expect(r.details.accuracy).toMatchObject({ decisions: r.total, falseAllows: 0, falseDenies: 0 });
      expect(checks).toBe(0);
      // without --grpc a URL target has no gRPC address to send to
      await expect(runScenario('normal', url, options)).rejects.toThrow(/needs --grpc host:port/);
    } finally {
      front.close();
      await server.stop();
    }
  });

  it('--protocol grpc refuses a policy the edge domain does not map user_id to, before starting anything', async () => {
    await expect(runScenario('normal', 'b', { protocol: 'grpc', policy: 'per-ip' })).rejects.toThrow(
      /--protocol grpc checks the policy that domain 'edge' maps 'user_id' to, per-user/,
    );
  });

  it('hotkey sends most checks to one key', async () => {
    const r = await runScenario('hotkey', 'b', { quiet: true, warmupS: 0.2, durationS: 0.3, rate: 2000, keys: 20 });
    expect(r.details.hotKeyShare).toBe(0.8);
    expect(r.details.accuracy).toMatchObject({ falseAllows: 0, falseDenies: 0 });
  });

  it('degrade falls back during the fault and returns to Redis after it', async () => {
    // a short breaker period, so that the return fits in this short run's last second (its last third)
    const r = await runScenario(
      'degrade',
      'b',
      { quiet: true, durationS: 3, rate: 3000, keys: 50 },
      { BREAKER_OPEN_MS: '100' },
    );
    expect(r.details.errorRatePct).toBe(0);
    expect((r.details.faultPhase as { fallbackHitRatioPct: number }).fallbackHitRatioPct).toBeGreaterThan(0);
    expect(typeof r.details.returnToRedisMs).toBe('number');
    // every decision of the three phases is replayed (the bound on false decisions is a check of
    // the run, not of this test: a 3 s run on 50 keys says little about it)
    const phases = r.details.accuracyByPhase as Record<string, { decisions: number }>;
    expect(Object.keys(phases)).toEqual(['before', 'during', 'after']);
    expect(Object.values(phases).reduce((n, p) => n + p.decisions, 0)).toBe(r.total);
    expect(r.details.instances).toBe(1);
    expect(r.failures.filter((f) => !f.includes('bound'))).toEqual([]);
    // provenance: what the server was given, and which Redis
    expect(r.provenance?.serverSettings).toMatchObject({ LIMITER_STORE: 'redis', BREAKER_OPEN_MS: '100' });
    expect(r.provenance?.redis).toMatch(/^\d+\.\d+\.\d+/);
    expect(formatResult(r)).toMatch(/^Server settings: .*LIMITER_STORE=redis.*; Redis \d+\.\d+\.\d+/m);
  });

  it('degrade sends requests to every instance in turn with --instances 2, on one Redis', async () => {
    const r = await runScenario(
      'degrade',
      'b',
      { quiet: true, durationS: 3, rate: 1000, keys: 50, instances: 2 },
      { BREAKER_OPEN_MS: '100' },
    );
    expect(r.details.instances).toBe(2);
    expect(r.details.errorRatePct).toBe(0);
    expect(r.total).toBe((r.details.accuracy as { decisions: number }).decisions);
    // requests went to both in turn
    const [first, second] = r.details.requestsByInstance as number[];
    expect(Math.abs((first as number) - (second as number))).toBeLessThanOrEqual(1);
    expect((first as number) + (second as number)).toBe(r.details.requests);
    expect(r.failures.filter((f) => !f.includes('bound'))).toEqual([]);
  });

  it('renders the comparison report with the delta and the spread', async () => {
    // the steady runs of the profiles' own tests (made here if they did not run)
    const [b, a] = [await steadyRun.b(), await steadyRun.a()];
    expect(b.connections?.succeeded).toBe(20);
    const rows = compareRows([b, b], [a, a]);
    const throughput = rows.find((r) => r.metric === 'throughput');
    expect(throughput?.b.median).toBe(b.throughputPerSec);
    expect(throughput?.deltaPct).toBeCloseTo(((a.throughputPerSec - b.throughputPerSec) / b.throughputPerSec) * 100, 6);
    expect(renderMarkdown('steady', rows, [b, b], [a, a])).toContain('| throughput (/s) |');
    const html = renderHtml('steady', rows, [b, b], [a, a]);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(3);

    // memory per connection below its resolution (16 MiB of RSS over the 20 connections) gets no verdict
    const withMemory = (r: typeof a, bytes: number) => ({
      ...r,
      server: { ...(r.server as NonNullable<typeof r.server>), memoryPerConnectionBytes: bytes },
    });
    const memoryRow = (bBytes: number, aBytes: number) => {
      const [bs, as] = [[withMemory(b, bBytes)], [withMemory(a, aBytes)]];
      return { row: compareRows(bs, as).find((r) => r.metric === 'memory per connection') as Row, bs, as };
    };
    const unresolved = memoryRow(1024, 8 * 2 ** 20);
    expect(unresolved.row.resolution).toBeCloseTo((16 * 1024) / 20, 6);
    expect(verdict(unresolved.row)).toBe('unresolved');
    expect(renderMarkdown('steady', [unresolved.row], unresolved.bs, unresolved.as)).toContain(
      '(B below the resolution of 819 KiB: no verdict)',
    );
    const marked = renderHtml('steady', [unresolved.row], unresolved.bs, unresolved.as);
    expect(marked).toContain('class="unresolved"');
    expect(marked).toContain('B 1.000 (below resolution)');
    expect(marked).not.toMatch(/class="(better|worse)"/);
    const resolved = memoryRow(4 * 2 ** 20, 8 * 2 ** 20);
    expect(verdict(resolved.row)).toBe('worse');
  });
});

describe('npm run bench', () => {
  // npm run bench builds dist and dist-bench, then runs dist-bench/bench/cli.js: once the first
  // test has run it whole, a later one runs that CLI without building the same sources again
  let built = false;
  const bench = (args: string[]) =>
    built
      ? execFileSync(process.execPath, ['dist-bench/bench/cli.js', ...args], { encoding: 'utf8' })
      : execFileSync('npm', ['run', 'bench', '--silent', '--', ...args], { encoding: 'utf8' });

  it('prints the standard block and writes the JSON result', () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-'));
    const stdout = execFileSync(
      'npm',
      [
        'run',
        'bench',
        '--silent',
        '--',
        'steady',
        '--target',
        'b',
        '--clients',
        '5',
        '--duration',
        '0.5',
        '--warmup',
        '0.2',
        '--connect',
        '0.2',
        '--quiet',
        '--out',
        out,
      ],
      { encoding: 'utf8' },
    );
    built = true;
    expect(stdout).toMatch(STANDARD_BLOCK);
    // where the figures come from: the machine, the commit and the exact command
    expect(stdout).toMatch(/^Machine: .+, \d+ cores, \d+ GiB, Node v\d+\.\d+\.\d+, .+; commit [0-9a-f]{40}/m);
    expect(stdout).toMatch(/^Command: node \S*dist-bench\/bench\/cli\.js steady --target b --clients 5 /m);
    const runs = join(out, 'runs');
    const file = readdirSync(runs).find((f) => f.endsWith('-steady-b.json'));
    expect(file).toBeDefined();
    const saved = JSON.parse(readFileSync(join(runs, file as string), 'utf8'));
    expect(saved.provenance).toMatchObject({
      commit: expect.stringMatching(/^[0-9a-f]{40}$/),
      dirty: expect.any(Boolean),
    });
    expect(saved.provenance.command).toContain('steady --target b');
  });

  it('spreads a limiter load over worker threads (--generators 2), every decision replayed', () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-'));
    const args = ['normal', '--target', 'b', '--store', 'memory', '--generators', '2'];
    bench([...args, '--duration', '0.5', '--warmup', '0.2', '--rate', '2000', '--keys', '20', '--quiet', '--out', out]);
    const runs = join(out, 'runs');
    const file = readdirSync(runs).find((f) => f.endsWith('-normal-b.json'));
    const saved = JSON.parse(readFileSync(join(runs, file as string), 'utf8'));
    expect(saved.settings).toMatchObject({ generators: 2 });
    // both threads' decisions arrive: the requests they answered carry them all, none mismatched
    expect(saved.total).toBeGreaterThan(0);
    expect(saved.details.decidedBy).toEqual({ memory: saved.total });
    expect(saved.details.requests).toBe(saved.latency.count);
    expect(saved.details.accuracy).toMatchObject({ decisions: saved.total, falseAllows: 0, falseDenies: 0 });
    expect(saved.server.loadGenerator.cpuPct).toBeGreaterThan(0);
  });

  it("bench:ledger runs the limiter ladder from B to A and writes its report with A's CPU profile", async () => {
    const out = mkdtempSync(join(tmpdir(), 'ledger-'));
    // the 1400 checks of 0.7 s at 2000/s, in a quarter of a second: every rung's CPU per check is
    // asserted above zero
    const tinyLoad = { quiet: true, warmupS: 0.1, durationS: 0.25, rate: 5600, keys: 50 };
    const { dir, rows } = await ledger('limiter', tinyLoad, 1, out);
    expect(rows.map((r) => r.target)).toEqual(LIMITER_LADDER.map((r) => r.target));
    for (const r of rows) {
      expect(r.cpuMicrosPerUnit.median).toBeGreaterThan(0);
      expect(r.rssIdleMiB.median).toBeGreaterThan(10);
    }
    // every rung answered the load alike: the replay found no false decision on any
    const runs = JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8'));
    for (const [rung] of runs.runs.entries())
      expect(runs.runs[rung][0].details.accuracy).toMatchObject({ falseAllows: 0, falseDenies: 0 });
    expect(runs.runs[0][0].total).toBe(runs.runs[5][0].total); // the same load on every rung
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('| `ledger:pipe` |');
    expect(md).toMatch(/## Profile A under `node --cpu-prof`/);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('aria-label="waterfall"');
  });

  it('bench:ledger runs the chat ladder: every rung delivers every message of the same load, in order', async () => {
    const { dir, rows, runs } = await chatLedger();
    expect(rows.map((r) => r.target)).toEqual(CHAT_LADDER.map((r) => r.target));
    for (const [i, [run]] of runs.runs.entries()) {
      expect(run.target, CHAT_LADDER[i]?.target).toBe(CHAT_LADDER[i]?.target);
      expect(run.failures).toEqual([]);
      expect(run.connections.succeeded).toBe(40);
      expect(run.drops).toMatchObject({ seqGaps: 0, dropPct: 0 });
      expect(run.drops.received).toBeGreaterThan(0);
      expect(rows[i]?.cpuMicrosPerUnit.median).toBeGreaterThan(0);
    }
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/^# Ledger \(chat\): where Profile A's CPU per delivery goes/);
    expect(md).toContain('| `ledger:chat-pipe` |');
    // the runtime's variants: the same servers started with V8's young generation capped
    // and A on Fastify
    expect(runs.variantRuns.map((v: BenchResult[]) => v[0]?.provenance?.serverSettings?.NODE_FLAGS)).toEqual([
      '--max-semi-space-size=1',
      '--max-semi-space-size=1',
      '--max-semi-space-size=64',
      undefined,
    ]);
    expect(runs.variantRuns.map((v: BenchResult[]) => v[0]?.target)).toEqual([
      'b --max-semi-space-size=1',
      'a --max-semi-space-size=1',
      'a --max-semi-space-size=64',
      'a-fastify',
    ]);
    expect(runs.variantRuns[3][0].provenance.serverSettings.HTTP_PLATFORM).toBe('fastify');
    expect(md).toContain('| `a --max-semi-space-size=1` |');
    expect(runs.profiled.cpuProfile.byPackage.every((p: { name: unknown }) => typeof p.name === 'string')).toBe(true);
  }, 120_000);

  it('bench:compare --targets runs any targets in turn and sets each against the first', async () => {
    const out = mkdtempSync(join(tmpdir(), 'many-'));
    const load = { quiet: true, warmupS: 0.1, durationS: 0.2, rate: 1000, keys: 20, store: 'memory' as const };
    const { dir } = await compareMany('normal', ['b', 'ledger:nest'], load, 1, out);
    const saved = JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8'));
    expect(saved.targets).toEqual(['b', 'ledger:nest']);
    expect(saved.runs.map((r: unknown[]) => r.length)).toEqual([3, 3]); // at least 3 rounds
    expect(saved.runs[1][0].target).toBe('ledger:nest');
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/^\| metric \| `b` \| `ledger:nest` \|$/m);
    expect(md).toMatch(/^\| throughput \(\/s\) \| .+ \| .+: [+-]\d+\.\d%/m);
    // the latency distribution of every target, one line per round
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('aria-label="latency by percentile"');
    expect(html.match(/<polyline/g)?.length).toBe(6);
  });

  it('bench:compare --protocols http,grpc runs each target over each protocol in turn, in one report', async () => {
    const out = mkdtempSync(join(tmpdir(), 'protocols-'));
    const load = { quiet: true, warmupS: 0.1, durationS: 0.2, rate: 1000, keys: 20, store: 'memory' as const };
    const { dir } = await compareProtocols('normal', ['b'], ['http', 'grpc'], load, 1, out);
    expect(dir).toMatch(/-normal-http-vs-grpc$/);
    const saved = JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8'));
    expect(saved.targets).toEqual(['b http', 'b grpc']);
    expect(saved.runs.map((r: BenchResult[]) => r.map((run) => [run.target, run.settings.protocol]))).toEqual([
      [
        ['b', 'http'],
        ['b', 'http'],
        ['b', 'http'],
      ],
      [
        ['b grpc', 'grpc'],
        ['b grpc', 'grpc'],
        ['b grpc', 'grpc'],
      ],
    ]);
    for (const run of saved.runs.flat() as BenchResult[])
      expect(run.details.accuracy).toMatchObject({ falseAllows: 0, falseDenies: 0 });
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/^\| metric \| `b http` \| `b grpc` \|$/m);
  });
});
