/**
 * Profile A's production surface as a real process: traces exported over OTLP/HTTP to a receiver
 * started here, /health/live and /health/ready (with a real Redis stopped and restarted),
 * /metrics in the Prometheus text format, JSON logs; the Docker compose file parses.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatClient } from './support/chat-client.js';
import { OtlpReceiver } from './support/otlp-receiver.js';
import { RedisServer } from './support/redis-server.js';
import { type Profile, PROFILES, ServerProcess } from './support/server-process.js';
import { parsePrometheus, promtoolProblems } from './support/prometheus.js';
import { programCommand } from './support/system-programs.js';

const profileA = PROFILES.find((p) => p.name.startsWith('A')) as Profile;
const profileB = PROFILES.find((p) => p.name.startsWith('B')) as Profile;
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('observability: Profile A', () => {
  let redis: RedisServer;
  let receiver: OtlpReceiver;
  let server: ServerProcess;

  beforeAll(async () => {
    redis = await RedisServer.start();
    receiver = await OtlpReceiver.start();
    server = await ServerProcess.start(profileA, {
      LIMITER_STORE: 'redis',
      REDIS_URL: redis.url,
      BREAKER_FAILURES: '1',
      BREAKER_OPEN_MS: '100',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_SERVICE_NAME: 'chat-under-test',
    });
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
    await redis?.stop();
  });

  it('exports a chat message span to OTLP, parented to the client traceparent', async () => {
    const client = await ChatClient.connect(server.wsUrl);
    client.send({ type: 'join', room: 'traced', user: 'tracy' });
    client.send({ type: 'chat', room: 'traced', text: 'hello', traceparent: TRACEPARENT });
    await client.drain();
    const chat = await receiver.waitFor((s) => s.name === 'chat chat');
    expect(chat.service).toBe('chat-under-test');
    expect(chat.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(chat.parentSpanId).toBe('00f067aa0ba902b7');
    expect(chat.attributes).toMatchObject({
      'chat.message.type': 'chat',
      'chat.room': 'traced',
      'chat.fanout': 1,
      'chat.rate_limited': false,
    });
    // without a traceparent: a new trace, linked to the connection's span
    const join = await receiver.waitFor((s) => s.name === 'chat join' && s.attributes['chat.room'] === 'traced');
    expect(join.parentSpanId).toBeUndefined();
    expect(join.links).toHaveLength(1);
    await client.close();
    const connection = await receiver.waitFor((s) => s.name === 'ws connection' && s.spanId === join.links[0]?.spanId);
    expect(connection.attributes['ws.close_code']).toBe(1000);
  });

  it('exports HTTP, limiter decision and Redis command spans for a decision request', async () => {
    const res = await fetch(`${server.httpUrl}/v1/check_and_consume`, {
      method: 'POST',
      body: JSON.stringify({ policy: 'per-user', subject: { user: 'traced-user' } }),
    });
    expect(((await res.json()) as { store: string }).store).toBe('redis');
    const decide = await receiver.waitFor((s) => s.name === 'limiter decide');
    expect(decide.attributes).toMatchObject({ 'limiter.policy': 'per-user', 'limiter.store': 'redis', 'limiter.allowed': true });
    const http = await receiver.waitFor((s) => s.spanId === decide.parentSpanId);
    expect(http.attributes['http.request.method'] ?? http.attributes['http.method']).toBe('POST');
    const redisSpan = await receiver.waitFor((s) => s.parentSpanId === decide.spanId);
    expect(redisSpan.attributes['db.system'] ?? redisSpan.attributes['db.system.name']).toBe('redis');
  });

  it('serves /health/live and turns /health/ready degraded while Redis is down, ok once it is back', async () => {
    const live = await server.getJson('/health/live');
    expect(live).toMatchObject({ status: 200, body: { status: 'ok', info: { heap: { status: 'up' } } } });
    expect(await server.getJson('/health/ready')).toMatchObject({ status: 200, body: { status: 'ok' } });
    await redis.stop();
    // a decision while Redis is down: it fails over, and the breaker opens
    const decision = await fetch(`${server.httpUrl}/v1/check_and_consume`, {
      method: 'POST',
      body: JSON.stringify({ policy: 'per-user', subject: { user: 'while-down' } }),
    });
    expect(((await decision.json()) as { store: string }).store).toBe('memory');
    let ready = await server.getJson('/health/ready');
    for (let i = 0; i < 100 && ready.body.status !== 'degraded'; i++) {
      await sleep(50);
      ready = await server.getJson('/health/ready');
    }
    expect(ready).toMatchObject({ status: 200, body: { status: 'degraded', details: { limiter: { status: 'degraded' } } } });
    await redis.restart();
    for (let i = 0; i < 200 && ready.body.status !== 'ok'; i++) {
      await sleep(50);
      ready = await server.getJson('/health/ready');
    }
    expect(ready).toMatchObject({ status: 200, body: { status: 'ok', details: { limiter: { status: 'up', store: 'redis' } } } });
    expect(server.log).toMatch(/"msg":"Redis is failing; the failure mode answers"/);
    expect(server.log).toMatch(/"msg":"Redis decides again"/);
  });

  it('serves /metrics as Prometheus text, and its counters move with the traffic', async () => {
    const scrape = async () => {
      const res = await fetch(`${server.httpUrl}/metrics`);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      return parsePrometheus(await res.text()).byKey;
    };
    const before = await scrape();
    const [a, b] = [await ChatClient.connect(server.wsUrl), await ChatClient.connect(server.wsUrl)];
    a.send({ type: 'join', room: 'metered', user: 'a' });
    await a.drain();
    b.send({ type: 'join', room: 'metered', user: 'b' });
    await b.drain();
    for (let i = 0; i < 3; i++) a.send({ type: 'chat', room: 'metered', text: `m${i}` });
    a.send('not json');
    await a.drain();
    await fetch(`${server.httpUrl}/v1/check_and_consume`, {
      method: 'POST',
      body: JSON.stringify({ policy: 'per-ip', subject: { ip: '198.51.100.1' } }),
    });
    const during = await scrape();
    const delta = (name: string) => (during.get(name) ?? 0) - (before.get(name) ?? 0);
    expect(during.get('chat_connections')).toBe(2);
    expect(delta('chat_frames_in_total{type="chat"}')).toBe(3);
    expect(delta('chat_frames_in_total{type="rejected"}')).toBe(1);
    expect(delta('chat_frames_out_total{type="chat"}')).toBe(6);
    expect(delta('chat_frames_out_total{type="error"}')).toBe(1);
    expect(delta('chat_fanout_deliveries_total')).toBe(3 + 6); // joins (1 + 2) and chats (3 x 2)
    expect(delta('limiter_decisions_total{policy="per-ip",store="redis",outcome="allowed"}')).toBe(1);
    expect(during.get('limiter_fallback_active')).toBe(0);
    expect(during.get('limiter_redis_command_seconds_count')).toBeGreaterThan(0);
    expect(during.has('nodejs_eventloop_lag_seconds')).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });

  it('logs JSON lines, lifecycle only: nothing per chat message', () => {
    const lines = server.log.trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(lines.some((l) => l.includes('"msg":"listening"') && l.includes('"tracing":true'))).toBe(true);
    expect(server.log).not.toContain('hello');
  });
});

describe('span flush on shutdown: Profile A', () => {
  it('exports spans still buffered when SIGTERM arrives', async () => {
    const receiver = await OtlpReceiver.start();
    try {
      // batches would wait a minute: only the shutdown flush can deliver the span in time
      const server = await ServerProcess.start(profileA, {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '60000',
      });
      const client = await ChatClient.connect(server.wsUrl);
      client.send({ type: 'join', room: 'last-words', user: 'z' });
      await client.drain();
      expect(receiver.spans).toHaveLength(0);
      expect(await server.stop()).toEqual({ code: 0, signal: null });
      expect(receiver.spans.map((s) => s.name)).toEqual(expect.arrayContaining(['chat join', 'ws connection']));
    } finally {
      await receiver.close();
    }
  });
});

describe('/metrics of both profiles, checked by promtool', () => {
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    [a, b] = await Promise.all([ServerProcess.start(profileA), ServerProcess.start(profileB)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  /** The same traffic on a server: 2 members, 3 chats, a bad frame, a ping; 11 frames at once from a full bucket of 10. */
  async function traffic(server: ServerProcess): Promise<void> {
    const [x, y, z] = [await ChatClient.connect(server.wsUrl), await ChatClient.connect(server.wsUrl), await ChatClient.connect(server.wsUrl)];
    x.send({ type: 'join', room: 'r', user: 'x' });
    await x.drain();
    y.send({ type: 'join', room: 'r', user: 'y' });
    await y.drain();
    for (let i = 0; i < 3; i++) x.send({ type: 'chat', room: 'r', text: `m${i}` });
    x.send('{');
    await x.drain(); // its ping is answered: one pong
    for (let i = 0; i < 11; i++) z.send({ type: 'leave', room: 'nowhere' });
    await z.drain();
    await Promise.all([x.close(), y.close(), z.close()]);
    await server.waitForStats((s) => s.connections === 0);
  }

  it('passes promtool check metrics (beyond the lint of prom-client\'s own defaults) on A and on B', async () => {
    for (const server of [a, b]) {
      await traffic(server);
      const res = await fetch(`${server.httpUrl}/metrics`);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(promtoolProblems(await res.text())).toEqual([]);
    }
  });

  it('B serves A\'s chat and process metrics under the same names and types, counted alike', async () => {
    const [sa, sb] = await Promise.all([a, b].map(async (s) => parsePrometheus(await (await fetch(`${s.httpUrl}/metrics`)).text())));
    for (const [family, type] of sb.types) expect(sa.types.get(family), family).toBe(type);
    // the same traffic (run once on each by the test above) gives the same chat counts
    const chat = (s: typeof sa) => new Map([...s.byKey].filter(([k]) => k.startsWith('chat_')));
    expect(chat(sb)).toEqual(chat(sa));
    expect(sb.byKey.get('chat_frames_in_total{type="leave"}')).toBe(11);
    expect(sb.byKey.get('chat_rate_limited_total')).toBe(1);
    expect(sb.byKey.get('chat_frames_out_total{type="error"}')).toBe(12); // the bad frame, 10 not_joined, 1 rate_limited
    expect(sb.byKey.get('process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect((await fetch(`${b.httpUrl}/health/ready`)).status).toBe(404); // B keeps no health detail
  });
});

describe('docker/docker-compose.yml', () => {
  it('parses with the compose client', () => {
    const file = 'docker/docker-compose.yml';
    const [compose, ...composeArgs] = programCommand('compose');
    const output = execFileSync(compose as string, [...composeArgs, '-f', file, 'config'], { encoding: 'utf8', stdio: 'pipe' });
    for (const service of ['redis', 'jaeger', 'profile-a', 'profile-b', 'profile-a-scaled', 'lb']) expect(output).toContain(`  ${service}:`);
    // both profiles, and each replica of the scaled Profile A, run under the same limits
    const limits = [...output.matchAll(/^ {4}(cpus|mem_limit): (.+)$/gm)].map((m) => `${m[1]}=${m[2]}`);
    expect(limits.filter((l) => l.startsWith('cpus')).length).toBe(3);
    expect(new Set(limits).size).toBe(2);
    expect(output).toMatch(/^ {4}scale: 3$/m);
    expect(output).toMatch(/nginx\.conf:\/etc\/nginx\/nginx\.conf:ro/);
  });
});
