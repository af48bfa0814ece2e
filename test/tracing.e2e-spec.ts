/**
 * Profile A's spans, asserted with an in-memory exporter on an app created in this process, on
 * each HTTP platform: chat messages (parented to a client traceparent, rate-limit outcome,
 * refusals) and limiter decisions. The OTLP export of a real process is covered by
 * observability.e2e-spec.ts.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppModule } from '../src/app.module.js';
import { configureApp, httpAdapter } from '../src/app.setup.js';
import { loadPolicies, loadSettings } from '../src/core/index.js';
import { enableTracing, tracing } from '../src/telemetry/tracer.js';
import { ChatClient } from './support/chat-client.js';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();
// one provider for the apps of every platform: an app's shutdown must not stop it
afterAll(() => provider.shutdown());

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

describe.each(['express', 'fastify'])('Profile A spans (in-memory exporter), on %s', (platform) => {
  let app: INestApplication;
  let port: number;
  const spans = (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name);

  beforeAll(async () => {
    enableTracing(async () => {});
    const settings = loadSettings({ HOST: '127.0.0.1', PORT: '0', HTTP_PLATFORM: platform });
    app = await NestFactory.create(AppModule.forRoot(settings, loadPolicies(settings)), await httpAdapter(settings), {
      logger: false,
      bodyParser: false,
    });
    await configureApp(app, settings);
    expect(app.getHttpAdapter().getType()).toBe(platform);
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app?.close();
    tracing.enabled = false;
  });
  beforeEach(() => exporter.reset());

  it('gives a chat message a messaging span in the client trace, with room, operation, id, fan-out and rate-limit outcome', async () => {
    const [a, b] = [
      await ChatClient.connect(`ws://127.0.0.1:${port}/ws`),
      await ChatClient.connect(`ws://127.0.0.1:${port}/ws`),
    ];
    a.send({ type: 'join', room: 'spans', user: 'a' });
    await a.drain();
    b.send({ type: 'join', room: 'spans', user: 'b' });
    await b.drain();
    a.send({ type: 'chat', room: 'spans', text: 'hi', id: 'm-1', traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` });
    await a.drain();
    const [chat] = spans('chat');
    expect(chat?.kind).toBe(SpanKind.CONSUMER);
    expect(chat?.spanContext().traceId).toBe(TRACE_ID);
    expect(chat?.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(chat?.status.code).toBe(SpanStatusCode.UNSET);
    expect(chat?.attributes).toEqual({
      'messaging.system': 'ws_chat',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'chat',
      'messaging.destination.name': 'spans',
      'messaging.message.id': 'm-1',
      'chat.rate_limited': false,
      'chat.fanout': 2,
    });
    const [join] = spans('join');
    expect(join?.attributes).toMatchObject({
      'messaging.operation.name': 'join',
      'messaging.destination.name': 'spans',
    });
    expect(join?.attributes).not.toHaveProperty('messaging.message.id'); // the client gave none
    expect(join?.parentSpanContext).toBeUndefined();
    expect(join?.links).toHaveLength(1);
    await Promise.all([a.close(), b.close()]);
    expect(spans('ws connection').map((s) => s.spanContext().spanId)).toContain(join?.links[0]?.context.spanId);
  });

  it('marks refusals as errors on the message span: error.type is the code, status ERROR', async () => {
    const client = await ChatClient.connect(`ws://127.0.0.1:${port}/ws`);
    client.send({ type: 'join', user: 'flood' });
    client.send({ type: 'chat', text: '' });
    for (let i = 0; i < 10; i++) client.send({ type: 'chat', text: `${i}` });
    client.send({ type: 'leave', room: 'never-joined', id: 'l-1' });
    await client.drain();
    const chats = spans('chat');
    expect(chats).toHaveLength(11);
    expect(chats[0]?.attributes).toMatchObject({ 'chat.rate_limited': false, 'error.type': 'invalid_message' });
    expect(chats[0]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(chats[1]?.attributes).not.toHaveProperty('error.type');
    expect(chats[1]?.status.code).toBe(SpanStatusCode.UNSET);
    expect(chats.at(-1)?.attributes).toMatchObject({ 'chat.rate_limited': true, 'error.type': 'rate_limited' });
    expect(chats.at(-1)?.status.code).toBe(SpanStatusCode.ERROR);
    const [leave] = spans('leave');
    expect(leave?.attributes).toMatchObject({
      'messaging.destination.name': 'never-joined',
      'messaging.message.id': 'l-1',
      'error.type': 'rate_limited',
    });
    expect(spans('ping')).toHaveLength(0); // ping, pong and rejected frames get no span
    await client.close();
  });

  it('gives a limiter decision a span with policy, store and outcome', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/check_and_consume`, {
      method: 'POST',
      body: JSON.stringify({ policy: 'per-user', subject: { user: 'spanned' }, cost: 3 }),
    });
    expect(res.status).toBe(200);
    const [decide] = spans('limiter decide');
    expect(decide?.attributes).toEqual({
      'limiter.policy': 'per-user',
      'limiter.cost': 3,
      'limiter.consume': true,
      'limiter.store': 'memory',
      'limiter.allowed': true,
    });
  });
});
