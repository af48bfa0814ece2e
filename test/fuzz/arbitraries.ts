/**
 * What the differential fuzzer sends (fast-check arbitraries): sequences of WebSocket frames over
 * one to three connections (valid, nearly valid and hostile) mixed with HTTP decision requests.
 * Every value is plain data, so a failing case prints as JSON and shrinks.
 */
import fc from 'fast-check';

/** One frame as sent. */
export type FrameSpec =
  | { readonly kind: 'text'; readonly text: string } // a text frame; the string may hold lone surrogates
  | { readonly kind: 'bytes'; readonly hex: string } // a text frame of exactly these bytes (maybe not UTF-8)
  | { readonly kind: 'binary'; readonly hex: string }
  | { readonly kind: 'fragments'; readonly parts: readonly string[] }; // one text message in several frames

export interface HttpSpec {
  readonly method: 'POST' | 'GET' | 'PUT' | 'HEAD' | 'OPTIONS';
  /**
   * The request-target, sent as is (over a raw socket when fetch cannot send it: a `#`, the
   * absolute form written `ABS/...` for `http://host:port/...`, or `*`).
   */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The body: text (sent UTF-8 encoded, its lone surrogates as U+FFFD) or exact bytes in hex. */
  readonly body: { readonly text: string } | { readonly hex: string } | null;
}

/** A step: frames sent back to back on one connection, or one HTTP request. */
export type Step = { readonly on: number; readonly frames: readonly FrameSpec[] } | { readonly http: HttpSpec };

export interface Sequence {
  readonly connections: number;
  readonly steps: readonly Step[];
}

/**
 * Subject values written `@name` are made unique to each run of a sequence by the runner, so that
 * a sequence's decisions never depend on the sequences before it (and a shrunk case reproduces).
 */
export const SUBJECT_NAMES = ['@ann', '@bo', '@cy'];

const ROOMS = ['public', 'r1', 'r.2', 'R-3', 'x'.repeat(64), 'x'.repeat(65), '', 'no/slash', 'é'];
const USERS = ['alice', 'bob', 'c_3', 'u'.repeat(32), 'u'.repeat(33), '', 'zoë', 'a b'];
/** Keys no message or body may carry: every name on Object.prototype, and a few more. */
const ODD_KEYS = [
  ...Object.getOwnPropertyNames(Object.prototype),
  'prototype',
  'length',
  'name',
  'extra',
  'TYPE',
  'Type',
  '',
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

/** Strings at the edges of the contract: empty, long, astral, surrogates, controls, escapes. */
const edgeString = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('', ' ', '\u0000', '\n', '\u2028', '😀', '❤️', 'é', 'e\u0301', '"', '\\', '\ufeff'),
  fc.integer({ min: 60, max: 70 }).map((n) => 'i'.repeat(n)),
  fc.integer({ min: 250, max: 260 }).map((n) => 's'.repeat(n)),
  fc.integer({ min: 1020, max: 1030 }).map((n) => 't'.repeat(n)),
  fc.integer({ min: 30, max: 34 }).map((n) => '😀'.repeat(n)),
  fc.tuple(fc.string({ maxLength: 3 }), loneSurrogate).map(([a, b]) => a + b),
  fc.string({ unit: 'binary', maxLength: 6 }),
);

/** A value written as raw JSON text: nesting up to 3000 levels, some of it within 4096 bytes. */
export interface Raw {
  readonly $raw: string;
}
const deep: fc.Arbitrary<Raw> = fc
  .tuple(fc.integer({ min: 1, max: 3000 }), fc.constantFrom('[', '{"a":'))
  .map(([depth, open]) => ({ $raw: open.repeat(depth) + '1' + (open === '[' ? ']' : '}').repeat(depth) }));

const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: edgeString },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.integer(),
      fc.double(),
      fc.constantFrom(-0, 1e308, 5e-324, 1.5, 2 ** 53, -(2 ** 53), 0.1),
      fc.constantFrom<Raw>({ $raw: '1e400' }, { $raw: '-1e400' }, { $raw: '1.0' }, { $raw: '1E2' }),
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, ['x'], { a: 1 }) },
  { weight: 1, arbitrary: deep },
);

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const someRoom = fc.constantFrom(...ROOMS.slice(0, 4));
const validId = fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.constantFrom('x'.repeat(64), '😀'.repeat(32)));

/** A valid message of each type. */
const validMessage: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record(
    { type: fc.constant('join'), room: someRoom, user: fc.constantFrom(...USERS.slice(0, 3)), id: validId },
    { requiredKeys: ['type', 'user'] },
  ),
  fc.record(
    {
      type: fc.constant('chat'),
      room: someRoom,
      text: fc.string({ minLength: 1, maxLength: 20 }),
      id: validId,
      ts: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    },
    { requiredKeys: ['type', 'text'] },
  ),
  fc.record({ type: fc.constant('leave'), room: someRoom, id: validId }, { requiredKeys: ['type'] }),
  fc.record(
    {
      type: fc.constantFrom('ping', 'pong'),
      ts: fc.integer(),
      id: validId,
      traceparent: fc.constantFrom(TRACEPARENT, '00-bad', ''),
    },
    { requiredKeys: ['type'] },
  ),
);

/** A valid message with one or two fields changed: a wrong value, an odd key, a wrong type. */
const nearlyValid: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    validMessage,
    fc.array(
      fc.oneof(
        fc.tuple(fc.constantFrom('type', 'room', 'user', 'text', 'id', 'ts', 'traceparent'), jsonValue),
        fc.tuple(fc.constantFrom('room', 'user'), fc.constantFrom(...ROOMS, ...USERS)),
        fc.tuple(fc.constantFrom(...ODD_KEYS), jsonValue),
        fc.tuple(fc.constant('type'), fc.constantFrom('shout', 'Chat', '', '$rejected', 'toString', '__proto__')),
      ),
      { minLength: 1, maxLength: 2 },
    ),
  )
  .map(([message, changes]) => {
    const object: Record<string, unknown> = { ...message };
    for (const [key, value] of changes)
      Object.defineProperty(object, key, { value, enumerable: true, configurable: true, writable: true });
    return object;
  });

/** JSON text of a value: `{ $raw }` written as is, -0 kept, lone surrogates kept (as JSON escapes). */
export function jsonText(value: unknown): string {
  if (Object.is(value, -0)) return '-0'; // JSON.stringify writes 0
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if ('$raw' in value) return (value as Raw).$raw;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  const fields = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`);
  return `{${fields.join(',')}}`;
}

const hex = (bytes: readonly number[]) => Buffer.from(bytes).toString('hex');

/** A frame, valid or not; the fatal ones (over 4096 bytes, not UTF-8) are rare, so that most sequences go on. */
export const frame: fc.Arbitrary<FrameSpec> = fc.oneof(
  { weight: 30, arbitrary: validMessage.map((m) => ({ kind: 'text' as const, text: jsonText(m) })) },
  { weight: 18, arbitrary: nearlyValid.map((m) => ({ kind: 'text' as const, text: jsonText(m) })) },
  {
    weight: 6,
    arbitrary: fc
      .constantFrom(
        '',
        ' ',
        'nope',
        '[]',
        'null',
        '42',
        '"chat"',
        '{"type":"chat"',
        '{}',
        '[[[[]]]]',
        '{"type":"ping"}{"type":"ping"}',
        '{"type":"ping","type":"chat","text":"dup"}',
        '\ufeff{"type":"ping"}',
        ' {"type":"ping"} ',
        '{"type":"chat","text":"\\ud800","id":"s"}',
        '{"type":"chat","text":"a","id":"\\udfff"}',
      )
      .map((text) => ({ kind: 'text' as const, text })),
  },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: 4090, max: 4100 })
      .map((size) => ({ kind: 'text' as const, text: `{"type":"ping","id":"${'x'.repeat(size - 22)}"}` })),
  },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.integer({ min: 0, max: 255 }), { maxLength: 8 })
      .map((b) => ({ kind: 'binary' as const, hex: hex(b) })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom([0x7b, 0xff, 0x7d], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80])
      .map((b) => ({ kind: 'bytes' as const, hex: hex(b) })),
  },
  {
    weight: 3,
    arbitrary: validMessage
      .map((m) => jsonText(m))
      .chain((text) =>
        fc
          .integer({ min: 1, max: Math.max(1, text.length - 1) })
          .map((cut) => ({ kind: 'fragments' as const, parts: [text.slice(0, cut), text.slice(cut)] })),
      ),
  },
);

/** A burst: many chats at once (rate limit, output, order), in the default room. */
const burst: fc.Arbitrary<FrameSpec[]> = fc.integer({ min: 10, max: 60 }).map((n) =>
  Array.from({ length: n }, (_, i) => ({
    kind: 'text' as const,
    text: `{"type":"chat","text":"b${i}","id":"b${i}"}`,
  })),
);

const wsStep = (connections: number): fc.Arbitrary<Step> =>
  fc.record({
    on: fc.integer({ min: 0, max: connections - 1 }),
    frames: fc.oneof(
      { weight: 8, arbitrary: fc.array(frame, { minLength: 1, maxLength: 4 }) },
      { weight: 1, arbitrary: burst },
    ),
  });

/** Decision requests: the shapes of docs/LIMITER.md, their edges, hostile bodies and headers. */
const subjectValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SUBJECT_NAMES) },
  { weight: 1, arbitrary: jsonValue },
);
const subject = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(fc.constantFrom('user', 'ip', 'route'), subjectValue, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('user', 'client', ...ODD_KEYS), subjectValue, { maxKeys: 3 }) },
  { weight: 1, arbitrary: jsonValue },
);
/** A decision the policies accept: the right subject fields, maybe a cost. */
const validDecision = fc.oneof(
  fc.record(
    {
      policy: fc.constantFrom('fz-window', 'fz-bucket'),
      subject: fc.record({ user: fc.constantFrom(...SUBJECT_NAMES) }),
      cost: fc.integer({ min: 1, max: 3 }),
    },
    { requiredKeys: ['policy', 'subject'] },
  ),
  fc.record(
    {
      policy: fc.constant('fz-route'),
      subject: fc.record({ user: fc.constantFrom(...SUBJECT_NAMES), route: fc.constantFrom('/a', '/b') }),
      cost: fc.integer({ min: 1, max: 3 }),
    },
    { requiredKeys: ['policy', 'subject'] },
  ),
);
/** Any shape, odd keys included. */
const oddDecision = fc
  .tuple(
    fc.record(
      {
        policy: fc.oneof(fc.constantFrom('fz-window', 'fz-bucket', 'fz-route', 'nope', ''), jsonValue),
        subject,
        cost: fc.oneof(fc.integer({ min: -1, max: 7 }), fc.constantFrom<unknown>(1.5, '2', 1e20, null)),
      },
      { requiredKeys: ['policy', 'subject'] },
    ),
    fc.option(fc.tuple(fc.constantFrom(...ODD_KEYS), jsonValue), { freq: 5 }),
  )
  .map(([d, odd]) => {
    if (odd === null) return d;
    const out: Record<string, unknown> = { ...d };
    Object.defineProperty(out, odd[0], { value: odd[1], enumerable: true, configurable: true, writable: true });
    return out;
  });
const decision = fc.oneof({ weight: 3, arbitrary: validDecision }, { weight: 2, arbitrary: oddDecision });
const decisionBody: fc.Arbitrary<{ text: string } | { hex: string }> = fc.oneof(
  { weight: 4, arbitrary: decision.map((d) => ({ text: jsonText(d) })) },
  { weight: 2, arbitrary: fc.array(decision, { maxLength: 4 }).map((b) => ({ text: jsonText(b) })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '',
        ' ',
        '{',
        'null',
        '"x"',
        '[]',
        '{}',
        '\ufeff{}',
        '[[]]',
        '{"policy":"fz-window","subject":{"user":"\\ud800"}}',
      )
      .map((text) => ({ text })),
  },
  {
    weight: 1,
    arbitrary: deep.map((raw) => ({ text: `{"policy":"fz-window","subject":{"user":${raw.$raw}}}` })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        'efbbbf7b7d',
        '7bff7d', // a gzip of a valid decision
        '1f8b0800000000000003ab562ac8cfc94cae54b2524aabd22dcfcc4bc92f57d2512a2e4dca4a4d2e51b2aa562a2d4e2d52b2527248cccb53aaad05005dfc6a3130000000',
        'fffe7b00',
        '00',
      )
      .map((h) => ({ hex: h })),
  },
);
const contentType = fc.constantFrom(
  undefined,
  undefined,
  'application/json',
  'application/json',
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-8',
  'application/json; charset=UTF-8',
  'application/json;charset="utf-8"',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json; charset=',
);
const contentEncoding = fc.constantFrom(
  undefined,
  undefined,
  undefined,
  undefined,
  undefined,
  undefined,
  'identity',
  'IDENTITY',
  'gzip',
  'br',
  'bogus',
);

export const httpRequest: fc.Arbitrary<HttpSpec> = fc
  .record({
    method: fc.constantFrom<HttpSpec['method']>('POST', 'POST', 'POST', 'POST', 'GET', 'PUT', 'HEAD', 'OPTIONS'),
    path: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('/v1/check', '/v1/check_and_consume', '/v1/check?x=1') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '/v1/other',
          '/v1/check/',
          '/V1/CHECK',
          '/v1/check#x',
          'ABS/v1/check_and_consume',
          '/v1//check',
          '/v1/check%5F',
          '/v1/%63heck',
          '/%68ealth',
          '/health',
          '/HEALTH',
          '/health/',
          '/health#x',
          'ABS/health',
          '//health',
          '/stats',
          '/stats/',
          '/ws',
          '*',
        ),
      },
    ),
    body: decisionBody,
    contentType,
    contentEncoding,
  })
  .map(({ method, path, body, contentType: type, contentEncoding: encoding }) => ({
    method,
    path,
    headers: { ...(type ? { 'content-type': type } : {}), ...(encoding ? { 'content-encoding': encoding } : {}) },
    body: method === 'GET' || method === 'HEAD' ? null : body,
  }));

/** Connections that may first join one room, as `u0`, `u1`...; then steps of every kind. */
export const sequence: fc.Arbitrary<Sequence> = fc.integer({ min: 1, max: 3 }).chain((connections) =>
  fc
    .record({
      joins: fc.array(fc.boolean(), { minLength: connections, maxLength: connections }),
      steps: fc.array(
        fc.oneof(
          { weight: 5, arbitrary: wsStep(connections) },
          { weight: 1, arbitrary: httpRequest.map((http) => ({ http })) },
        ),
        { minLength: 1, maxLength: 12 },
      ),
    })
    .map(({ joins, steps }) => ({
      connections,
      steps: [
        ...joins.flatMap((join, on) =>
          join ? [{ on, frames: [{ kind: 'text' as const, text: `{"type":"join","user":"u${on}"}` }] }] : [],
        ),
        ...steps,
      ],
    })),
);
