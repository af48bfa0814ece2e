/**
 * Profile A's production surface as a real process, on each HTTP platform: traces exported over
 * OTLP/HTTP to a receiver started here, /health/live and /health/ready (with a real Redis stopped
 * and restarted), /metrics in the Prometheus text format (checked by promtool on every profile),
 * JSON logs, and no user data in any exported span.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatClient } from './support/chat-client.js';
import { OtlpReceiver } from './support/otlp-receiver.js';
import { RedisServer } from './support/redis-server.js';
import { type Profile, PROFILES, PROFILES_A, ServerProcess } from './support/server-process.js';
import { parsePrometheus, promtoolProblems } from './support/prometheus.js';

const profileB = PROFILES.find((p) => p.name.startsWith('B')) as Profile;
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const PACKAGE_VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(PROFILES_A)('observability: profile $name', (profileA) => {
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
    client.send({ type: 'chat', room: 'traced', text: 'hello', id: 'c1', traceparent: TRACEPARENT });
    await client.drain();
    const chat = await receiver.waitFor((s) => s.name === 'chat');
    expect(chat.service).toBe('chat-under-test');
    expect(chat.resource['service.version']).toBe(PACKAGE_VERSION);
    expect(chat.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(chat.parentSpanId).toBe('00f067aa0ba902b7');
    expect(chat.attributes).toEqual({
      'messaging.system': 'ws_chat',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'chat',
      'messaging.destination.name': 'traced',
      'messaging.message.id': 'c1',
      'chat.fanout': 1,
      'chat.rate_limited': false,
    });
    // without a traceparent: a new trace, linked to the connection's span
    const join = await receiver.waitFor(
      (s) => s.name === 'join' && s.attributes['messaging.destination.name'] === 'traced',
    );
    expect(join.parentSpanId).toBeUndefined();
    expect(join.links).toHaveLength(1);
    await client.close();
    const connection = await receiver.waitFor((s) => s.name === 'ws connection' && s.spanId === join.links[0]?.spanId);
    expect(connection.attributes['ws.close_code']).toBe(1000);
  });

  it('exports HTTP (named by route), limiter decision and Redis command spans for a decision request', async () => {
    const res = await fetch(`${server.httpUrl}/v1/check_and_consume`, {
      method: 'POST',
      body: JSON.stringify({ policy: 'per-user', subject: { user: 'traced-user' } }),
    });
    expect(((await res.json()) as { store: string }).store).toBe('redis');
    const decide = await receiver.waitFor((s) => s.name === 'limiter decide');
    expect(decide.attributes).toMatchObject({
      'limiter.policy': 'per-user',
      'limiter.store': 'redis',
      'limiter.allowed': true,
    });
    const http = await receiver.waitFor((s) => s.spanId === decide.parentSpanId);
    expect(http.name).toBe('POST /v1/check_and_consume');
    expect(http.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/v1/check_and_consume',
      'http.response.status_code': 200,
    });
    const redisSpan = await receiver.waitFor((s) => s.parentSpanId === decide.spanId);
    // the command's name, never its keys or arguments (they hold the subject)
    // (ioredis' auto-pipelining names the operation `PIPELINE evalsha`)
    expect(redisSpan.attributes).toMatchObject({
      'db.system.name': 'redis',
      'db.operation.name': expect.stringMatching(/^(PIPELINE )?evalsha$/),
      'db.query.text': 'evalsha',
    });
    // a path no route matched keeps the bare method
    expect((await fetch(`${server.httpUrl}/v1/nowhere`, { method: 'POST' })).status).toBe(404);
    const unmatched = await receiver.waitFor((s) => s.kind === 2 && s.attributes['url.path'] === '/v1/nowhere');
    expect(unmatched.name).toBe('POST');
    expect(unmatched.attributes).not.toHaveProperty('http.route');
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
    expect(ready).toMatchObject({
      status: 200,
      body: { status: 'degraded', details: { limiter: { status: 'degraded' } } },
    });
    await redis.restart();
    for (let i = 0; i < 200 && ready.body.status !== 'ok'; i++) {
      await sleep(50);
      ready = await server.getJson('/health/ready');
    }
    expect(ready).toMatchObject({
      status: 200,
      body: { status: 'ok', details: { limiter: { status: 'up', store: 'redis' } } },
    });
    expect(server.log).toMatch(/"msg":"Redis is failing; the failure mode answers"/);
    // the log line comes through the server's stdout pipe, the health answer through its socket:
    // either may reach this process first, so wait (bounded) for the line itself
    await expect.poll(() => server.log, { timeout: 5_000 }).toMatch(/"msg":"Redis decides again"/);
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
    // one spent of 600: a peek at all 600 is denied
    const peek = await fetch(`${server.httpUrl}/v1/check`, {
      method: 'POST',
      body: JSON.stringify({ policy: 'per-ip', subject: { ip: '198.51.100.1' }, cost: 600 }),
    });
    expect(await peek.json()).toMatchObject({ allowed: false, store: 'redis' });
    const during = await scrape();
    const delta = (name: string) => (during.get(name) ?? 0) - (before.get(name) ?? 0);
    expect(during.get('chat_connections')).toBe(2);
    expect(delta('chat_frames_in_total{type="chat"}')).toBe(3);
    expect(delta('chat_frames_in_total{type="rejected"}')).toBe(1);
    expect(delta('chat_frames_out_total{type="chat"}')).toBe(6);
    expect(delta('chat_frames_out_total{type="error"}')).toBe(1);
    expect(delta('chat_fanout_deliveries_total')).toBe(3 + 6); // joins (1 + 2) and chats (3 x 2)
    expect(delta('limiter_decisions_total{policy="per-ip",store="redis",outcome="allowed"}')).toBe(1);
    expect(delta('limiter_decisions_total{policy="per-ip",store="redis",outcome="denied"}')).toBe(1);
    expect(during.get('limiter_fallback_active')).toBe(0);
    expect(during.get('limiter_instances')).toBe(1); // this server alone (two: limiter-failover)
    expect(during.has('limiter_handed_back_total')).toBe(true);
    expect(during.has('limiter_late_decisions_total')).toBe(true);
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

describe.each(PROFILES_A)('span flush on shutdown: profile $name', (profileA) => {
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
      expect(receiver.spans.map((s) => s.name)).toEqual(expect.arrayContaining(['join', 'ws connection']));
    } finally {
      await receiver.close();
    }
  });
});

describe.each(PROFILES_A)('no user data in exported spans: profile $name', (profileA) => {
  it('exports no subject value, user name or chat text, on the limiter on Redis and the chat bus', async () => {
    const redis = await RedisServer.start();
    const receiver = await OtlpReceiver.start();
    try {
      const server = await ServerProcess.start(profileA, {
        LIMITER_STORE: 'redis',
        CHAT_BUS: 'redis',
        REDIS_URL: redis.url,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '50',
      });
      await server.waitForBus();
      // one unique marker per place user data could leak from
      const mark = (what: string) => `${what}${randomBytes(8).toString('hex')}`;
      const markers = { user: mark('u'), ip: mark('ip'), route: `/${mark('r')}`, name: mark('n'), text: mark('t') };
      const decide = (path: string, body: unknown) =>
        fetch(`${server.httpUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
      expect(
        (await decide('/v1/check_and_consume', { policy: 'per-user', subject: { user: markers.user } })).status,
      ).toBe(200);
      expect((await decide('/v1/check', { policy: 'per-ip', subject: { ip: markers.ip } })).status).toBe(200);
      const batch = [
        { policy: 'per-user-route', subject: { user: markers.user, route: markers.route } },
        { policy: 'per-user', subject: { user: markers.user } },
      ];
      expect((await decide('/v1/check_and_consume', batch)).status).toBe(200);
      const client = await ChatClient.connect(server.wsUrl);
      client.send({ type: 'join', room: 'marked', user: markers.name });
      client.send({ type: 'chat', room: 'marked', text: markers.text, id: 'c1' });
      client.send({ type: 'chat', room: 'marked', text: '' }); // a refusal too
      client.send({ type: 'leave', room: 'marked' });
      await client.drain();
      await client.close();
      expect(await server.stop()).toEqual({ code: 0, signal: null }); // flushes every span
      const names = receiver.spans.map((s) => s.name);
      // what was exported: the decisions, their Redis commands, the chat and the bus' Redis calls
      expect(names.filter((n) => n === 'limiter decide')).toHaveLength(4);
      expect(names).toEqual(
        expect.arrayContaining([
          'POST /v1/check',
          'POST /v1/check_and_consume',
          'join',
          'chat',
          'leave',
          'ws connection',
        ]),
      );
      // the chat client's address is not recorded
      expect(receiver.spans.find((s) => s.name === 'ws connection')?.attributes).toEqual({
        'url.path': '/ws',
        'ws.close_code': 1000,
      });
      const redisSpans = receiver.spans.filter((s) => s.attributes['db.system.name'] === 'redis');
      expect(redisSpans.length).toBeGreaterThanOrEqual(4);
      for (const span of redisSpans) expect(span.attributes['db.query.text']).toMatch(/^[a-z]+$/); // a bare command name
      const exported = receiver.bodies.join('\n');
      for (const [what, value] of Object.entries(markers)) {
        expect(exported.includes(value), `${what} in an exported span`).toBe(false);
        expect(server.log.includes(value), `${what} in the log`).toBe(false);
      }
    } finally {
      await receiver.close();
      await redis.stop();
    }
  });
});

describe('/metrics of every profile, checked by promtool', () => {
  const servers: ServerProcess[] = [];

  /** The same traffic on a server: 2 members, 3 chats, a bad frame, a ping; 11 frames at once from a full bucket of 10. */
  async function traffic(server: ServerProcess): Promise<void> {
    const [x, y, z] = [
      await ChatClient.connect(server.wsUrl),
      await ChatClient.connect(server.wsUrl),
      await ChatClient.connect(server.wsUrl),
    ];
    x.send({ type: 'join', room: 'r', user: 'x' });
    await x.drain();
    y.send({ type: 'join', room: 'r', user: 'y' });
    await y.drain();
    for (let i = 0; i < 3; i++) x.send({ type: 'chat', room: 'r', text: `m${i}` });
    x.send('{');
    x.send('{"type":"leave","room":"r","__proto__":{}}'); // a known type with a field no message has
    await x.drain(); // its ping is answered: one pong
    for (let i = 0; i < 11; i++) z.send({ type: 'leave', room: 'nowhere' });
    await z.drain();
    await Promise.all([x.close(), y.close(), z.close()]);
    await server.waitForStats((s) => s.connections === 0);
  }

  beforeAll(async () => {
    servers.push(...(await Promise.all(PROFILES.map((profile) => ServerProcess.start(profile)))));
    for (const server of servers) await traffic(server);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  it("passes promtool check metrics (beyond the lint of prom-client's own defaults) on every profile", async () => {
    for (const server of servers) {
      const res = await fetch(`${server.httpUrl}/metrics`);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(promtoolProblems(await res.text())).toEqual([]);
    }
  });

  it("B serves A's chat and process metrics under the same names and types, counted alike, on either platform", async () => {
    const scrape = async (server: ServerProcess) =>
      parsePrometheus(await (await fetch(`${server.httpUrl}/metrics`)).text());
    const b = servers[PROFILES.indexOf(profileB)] as ServerProcess;
    const sb = await scrape(b);
    const chat = (s: typeof sb) => new Map([...s.byKey].filter(([k]) => k.startsWith('chat_')));
    for (const [i, profile] of PROFILES.entries()) {
      if (profile === profileB) continue;
      const sa = await scrape(servers[i] as ServerProcess);
      for (const [family, type] of sb.types) expect(sa.types.get(family), `${profile.name}: ${family}`).toBe(type);
      // the same traffic gives the same chat counts
      expect(chat(sb), profile.name).toEqual(chat(sa));
    }
    expect(sb.byKey.get('chat_frames_in_total{type="leave"}')).toBe(12); // 11, and the one with a stray field
    expect(sb.byKey.get('chat_frames_in_total{type="rejected"}')).toBe(1);
    expect(sb.byKey.get('chat_rate_limited_total')).toBe(1);
    expect(sb.byKey.get('chat_frames_out_total{type="error"}')).toBe(13); // 2 bad frames, 10 not_joined, 1 rate_limited
    expect(sb.byKey.get('process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect((await fetch(`${b.httpUrl}/health/ready`)).status).toBe(404); // B keeps no health detail
  });
});
