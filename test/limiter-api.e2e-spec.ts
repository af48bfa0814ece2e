/**
 * The decision API (docs/LIMITER.md) on both profiles and the Go reference server, over real HTTP: answers, headers, batches,
 * every refusal; then with a real Redis: two servers sharing it never allow more than a policy,
 * and decisions survive Redis going away and come back to it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { ChatClient } from './support/chat-client.js';
import { RawSocket } from './support/raw-socket.js';
import {
  CONTRACT_PROFILES,
  type Profile,
  PROFILE_GO,
  PROFILES_A,
  runToExit,
  ServerProcess,
  withClock,
} from './support/server-process.js';
import { RedisServer } from './support/redis-server.js';
import { parsePrometheus, sumOf } from './support/prometheus.js';

const dir = mkdtempSync(join(tmpdir(), 'limiter-api-'));
const POLICIES_FILE = join(dir, 'policies.yaml');
writeFileSync(
  POLICIES_FILE,
  `# test policies
policies:
  - name: tiny
    algorithm: sliding_window
    scope: [ip]
    limit: 3
    windowMs: 600000
  - name: bucket
    algorithm: token_bucket
    scope: [user, route]
    capacity: 5
    refillPerSec: 1
  - name: race
    algorithm: sliding_window
    scope: [client]
    limit: 100
    windowMs: 600000
  - name: halves
    algorithm: token_bucket
    scope: [user]
    capacity: 5
    refillPerSec: 2
`,
);

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

async function post(server: ServerProcess, path: string, body: unknown): Promise<Reply> {
  const res = await fetch(server.httpUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

const consume = (s: ServerProcess, body: unknown) => post(s, '/v1/check_and_consume', body);
const check = (s: ServerProcess, body: unknown) => post(s, '/v1/check', body);
let unique = 0;
const fresh = (prefix: string) => `${prefix}-${process.pid}-${++unique}`;

/**
 * A POST to /v1/check written byte for byte: Host, `headers`, then `body` with its Content-Length
 * (unless `headers` hold a Transfer-Encoding). Without `body`, the request declares no body at
 * all. fetch would add, fix or refuse some of these headers. The connection stays open: a server
 * that answers before reading the whole body (415) then reads the rest off the wire, where with
 * `Connection: close` it would close it unread, and the reset could lose the answer.
 */
async function rawPost(server: ServerProcess, headers: readonly string[], body?: Buffer | string): Promise<Reply> {
  const socket = await RawSocket.connect(server.port);
  try {
    const head = ['POST /v1/check HTTP/1.1', 'Host: 127.0.0.1', ...headers];
    const chunked = headers.some((h) => /^transfer-encoding:/i.test(h));
    if (body !== undefined && !chunked) head.push(`Content-Length: ${Buffer.byteLength(body)}`);
    socket.write(`${head.join('\r\n')}\r\n\r\n`);
    if (body !== undefined) socket.write(body);
    const headEnd = (data: Buffer) => data.indexOf('\r\n\r\n');
    const lengthOf = (data: Buffer) =>
      Number(/\r\ncontent-length: *(\d+)/i.exec(data.subarray(0, headEnd(data)).toString('latin1'))?.[1]);
    const data = await socket.waitFor((d) => headEnd(d) !== -1 && d.length >= headEnd(d) + 4 + lengthOf(d), 10_000);
    const text = data.subarray(headEnd(data) + 4).toString('utf8');
    return { status: Number(data.subarray(9, 12).toString()), headers: new Headers(), body: JSON.parse(text) };
  } finally {
    socket.destroy();
  }
}

/** Whether `data` holds one whole HTTP answer: its head and a body of its Content-Length. */
function answered(data: Buffer): boolean {
  const end = data.indexOf('\r\n\r\n');
  if (end === -1) return false;
  const length = Number(/\r\ncontent-length: *(\d+)/i.exec(data.subarray(0, end).toString('latin1'))?.[1] ?? 0);
  return data.length >= end + 4 + length;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n`;
const charsetRefused = (charset: string) => ({
  error: 'unsupported_media_type',
  message: `charset ${JSON.stringify(charset)} is not supported: the body must be UTF-8`,
});
const encodingRefused = (encoding: string) => ({
  error: 'unsupported_media_type',
  message: `content encoding ${JSON.stringify(encoding)} is not supported: the body must not be encoded`,
});
const TOO_LARGE = { error: 'payload_too_large', message: 'body over 1048576 bytes' };
const BAD_JSON = { error: 'bad_json', message: 'body is not valid JSON' };

describe.each(CONTRACT_PROFILES)('decision API: profile $name', (profile) => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await ServerProcess.start(profile, { POLICIES_FILE });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers a single decision with every field and the RateLimit headers', async () => {
    const user = fresh('u');
    const reply = await consume(server, { policy: 'bucket', subject: { user, route: '/orders' }, cost: 2 });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      allowed: true,
      policy: 'bucket',
      algorithm: 'token_bucket',
      limit: 5,
      remaining: 3,
      retryAfterMs: 0,
      resetMs: 2000,
      now: expect.any(Number),
      store: 'memory',
    });
    expect(Math.abs(reply.body.now - Date.now())).toBeLessThan(5000);
    expect(reply.headers.get('ratelimit-policy')).toBe('"bucket";q=5;w=5');
    expect(reply.headers.get('ratelimit')).toBe('"bucket";r=3;t=2');
  });

  it("rounds the RateLimit header's seconds up: w = ceil(C / R), t = ceil(ms / 1000)", async () => {
    const subject = { user: fresh('u') };
    const spent = await consume(server, { policy: 'halves', subject, cost: 3 });
    expect(spent.body).toMatchObject({ allowed: true, remaining: 2, resetMs: 1500 });
    expect(spent.headers.get('ratelimit-policy')).toBe('"halves";q=5;w=3'); // 2.5 s
    expect(spent.headers.get('ratelimit')).toBe('"halves";r=2;t=2'); // 1.5 s
    const denied = await consume(server, { policy: 'halves', subject, cost: 3 });
    expect(denied.body).toMatchObject({ allowed: false, remaining: 2 });
    expect(denied.body.retryAfterMs).toBeGreaterThan(0);
    expect(denied.body.retryAfterMs).toBeLessThanOrEqual(500); // one token at 2 a second
    expect(denied.headers.get('ratelimit')).toBe('"halves";r=2;t=1'); // up to 0.5 s: 1, never 0
  });

  it('peeks with /v1/check and spends with /v1/check_and_consume', async () => {
    const subject = { ip: fresh('ip') };
    expect((await check(server, { policy: 'tiny', subject })).body).toMatchObject({ allowed: true, remaining: 3 });
    expect((await check(server, { policy: 'tiny', subject, cost: 3 })).body).toMatchObject({
      allowed: true,
      remaining: 3,
    });
    for (const remaining of [2, 1, 0]) {
      expect((await consume(server, { policy: 'tiny', subject })).body).toMatchObject({ allowed: true, remaining });
    }
    const denied = await consume(server, { policy: 'tiny', subject });
    expect(denied.status).toBe(200); // a denial is a decision, not an HTTP error
    expect(denied.body).toMatchObject({ allowed: false, remaining: 0 });
    expect(denied.body.retryAfterMs).toBeGreaterThan(0);
    expect(denied.headers.get('ratelimit')).toMatch(/^"tiny";r=0;t=\d+$/);
    expect((await check(server, { policy: 'tiny', subject })).body).toMatchObject({ allowed: false });
  });

  it('answers a batch with an array in request order, each decided in turn', async () => {
    const ip = fresh('ip');
    const user = fresh('u');
    const reply = await consume(server, [
      { policy: 'tiny', subject: { ip } },
      { policy: 'bucket', subject: { user, route: 'r' }, cost: 5 },
      { policy: 'tiny', subject: { ip }, cost: 2 },
      { policy: 'tiny', subject: { ip } },
      { policy: 'bucket', subject: { user, route: 'r' } },
    ]);
    expect(reply.status).toBe(200);
    expect(reply.body.map((d: any) => [d.policy, d.allowed, d.remaining])).toEqual([
      ['tiny', true, 2],
      ['bucket', true, 0],
      ['tiny', true, 0],
      ['tiny', false, 0],
      ['bucket', false, 0],
    ]);
    expect(reply.headers.get('ratelimit')).toBeNull();
  });

  const refusals: [string, number, string, string, unknown][] = [
    ['malformed JSON', 400, 'bad_json', '', '{"policy":'],
    ['an empty body (read as {})', 400, 'invalid_request', 'policy', ''],
    ['JSON that is not an object', 400, 'bad_json', '', '"tiny"'],
    ['missing policy', 400, 'invalid_request', 'policy', { subject: { ip: 'a' } }],
    ['empty policy', 400, 'invalid_request', 'policy', { policy: '', subject: { ip: 'a' } }],
    ['missing subject', 400, 'invalid_request', 'subject', { policy: 'tiny' }],
    ['subject not an object', 400, 'invalid_request', 'subject', { policy: 'tiny', subject: 'a' }],
    ['subject field not a string', 400, 'invalid_request', 'subject.ip', { policy: 'tiny', subject: { ip: 5 } }],
    ['subject field empty', 400, 'invalid_request', 'subject.ip', { policy: 'tiny', subject: { ip: '' } }],
    [
      'subject field too long',
      400,
      'invalid_request',
      'subject.ip',
      { policy: 'tiny', subject: { ip: 'x'.repeat(257) } },
    ],
    ['unknown subject field', 400, 'invalid_request', 'tenant', { policy: 'tiny', subject: { ip: 'a', tenant: 'b' } }],
    ['unknown field', 400, 'invalid_request', 'weight', { policy: 'tiny', subject: { ip: 'a' }, weight: 1 }],
    ['__proto__ field', 400, 'invalid_request', '__proto__', '{"policy":"tiny","subject":{"ip":"a"},"__proto__":{}}'],
    ['cost 0', 400, 'invalid_request', 'cost', { policy: 'tiny', subject: { ip: 'a' }, cost: 0 }],
    ['fractional cost', 400, 'invalid_request', 'cost', { policy: 'tiny', subject: { ip: 'a' }, cost: 1.5 }],
    ['cost as a string', 400, 'invalid_request', 'cost', { policy: 'tiny', subject: { ip: 'a' }, cost: '2' }],
    ['cost above the limit', 400, 'invalid_request', 'cost', { policy: 'tiny', subject: { ip: 'a' }, cost: 4 }],
    ['missing scope field', 400, 'invalid_request', 'subject.route', { policy: 'bucket', subject: { user: 'a' } }],
    ['unknown policy', 404, 'unknown_policy', 'nope', { policy: 'nope', subject: { ip: 'a' } }],
    ['empty batch', 400, 'invalid_request', 'batch', []],
    [
      'bad batch item',
      400,
      'invalid_request',
      '[1].subject.ip',
      [{ policy: 'tiny', subject: { ip: 'a' } }, { policy: 'tiny', subject: { ip: 5 } }, 5],
    ],
    ['batch item not an object', 400, 'invalid_request', '[1]', [{ policy: 'tiny', subject: { ip: 'a' } }, 5]],
    ['batch too large', 400, 'batch_too_large', '1000', Array(1001).fill({ policy: 'tiny', subject: { ip: 'a' } })],
    // JSON escapes can write a lone surrogate, which is not Unicode text (sent as raw JSON text)
    [
      'a lone surrogate in a subject field',
      400,
      'invalid_request',
      'subject.ip',
      '{"policy":"tiny","subject":{"ip":"a\\ud800"}}',
    ],
    [
      'a lone surrogate in the policy',
      400,
      'invalid_request',
      'policy',
      '{"policy":"tiny\\udfff","subject":{"ip":"a"}}',
    ],
    [
      'a lone surrogate in a batch item',
      400,
      'invalid_request',
      '[1].subject.ip',
      '[{"policy":"tiny","subject":{"ip":"a"}},{"policy":"tiny","subject":{"ip":"\\udc00b"}}]',
    ],
  ];

  it.each(refusals)('refuses %s with %i %s naming the field', async (_name, status, error, field, body) => {
    for (const send of [check, consume]) {
      const reply = await send(server, body);
      expect(reply.status).toBe(status);
      expect(reply.body.error).toBe(error);
      expect(typeof reply.body.message).toBe('string');
      expect(reply.body.message).toContain(field);
      expect(Object.keys(reply.body).sort()).toEqual(['error', 'message']);
    }
  });

  it('refuses a lone surrogate in the policy or a subject value with the same words on both profiles', async () => {
    // before this rule, encodeURIComponent threw on it while making the key: a 500
    const subject = await consume(server, '{"policy":"tiny","subject":{"ip":"\\ud800"}}');
    expect(subject.status).toBe(400);
    expect(subject.body).toEqual({
      error: 'invalid_request',
      message: 'subject.ip must be a string of 1 to 256 characters of well-formed Unicode',
    });
    const policy = await consume(server, '{"policy":"\\ud800","subject":{"ip":"a"}}');
    expect(policy.status).toBe(400);
    expect(policy.body).toEqual({
      error: 'invalid_request',
      message: 'policy must be a non-empty string of well-formed Unicode',
    });
    // a surrogate pair is one well-formed character, an escaped one as good as a literal one
    const pair = fresh('\ud83d\ude00');
    const escaped = `{"policy":"tiny","subject":{"ip":${JSON.stringify(pair).replace('\ud83d\ude00', '\\ud83d\\ude00')}}}`;
    expect((await consume(server, escaped)).body).toMatchObject({ allowed: true, remaining: 2 });
    expect((await check(server, { policy: 'tiny', subject: { ip: pair } })).body).toMatchObject({ remaining: 2 });
  });

  it('names an unknown field the same way on both profiles, whatever its name', async () => {
    for (const [body, message] of [
      ['{"policy":"tiny","subject":{"ip":"a"},"weight":1}', 'weight is not a field'],
      ['{"policy":"tiny","subject":{"ip":"a","\\ud800":"b"}}', 'subject.\ud800 is not a field'],
      [
        '[{"policy":"tiny","subject":{"ip":"a"}},{"policy":"tiny","subject":{"ip":"a"},"cost ":1}]',
        '[1].cost  is not a field',
      ],
    ]) {
      expect((await check(server, body)).body, body).toEqual({ error: 'invalid_request', message });
    }
  });

  it('refuses a field named after any Object.prototype member, in the request or its subject, and spends nothing', async () => {
    const ip = fresh('ip');
    for (const key of [...Object.getOwnPropertyNames(Object.prototype), 'prototype']) {
      for (const body of [
        `{"policy":"tiny","subject":{"ip":"${ip}"},${JSON.stringify(key)}:"x"}`,
        `{"policy":"tiny","subject":{"ip":"${ip}",${JSON.stringify(key)}:"x"}}`,
        `[{"policy":"tiny","subject":{"ip":"${ip}"},${JSON.stringify(key)}:1}]`,
      ]) {
        const reply = await consume(server, body);
        expect(reply.status, body).toBe(400);
        expect(reply.body.error, body).toBe('invalid_request');
      }
    }
    expect((await check(server, { policy: 'tiny', subject: { ip } })).body.remaining).toBe(3);
  });

  it('refuses nesting in any field, however deep, with 400 and no stack trace', async () => {
    const deep = (n: number) => '['.repeat(n) + '"a"' + ']'.repeat(n);
    for (const body of [
      `{"policy":"tiny","subject":{"ip":${deep(50_000)}}}`,
      `{"policy":${deep(50_000)},"subject":{"ip":"a"}}`,
      `{"policy":"tiny","subject":{"ip":"a"},"cost":${deep(50_000)}}`,
      `{"policy":"tiny","subject":{"ip":"a","route":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}}`,
      `[{"policy":"tiny","subject":{"ip":"a"}},{"policy":"tiny","subject":${deep(1)}}]`,
    ]) {
      const reply = await consume(server, body);
      expect(reply.status, body.slice(0, 60)).toBe(400);
      expect(reply.body.error, body.slice(0, 60)).toBe('invalid_request');
    }
    expect(server.log).not.toMatch(/RangeError|Maximum call stack|internal_error|"level":"error"/);
  });

  it('consumes nothing from a batch it refuses', async () => {
    const ip = fresh('ip');
    const refused = await consume(server, [
      { policy: 'tiny', subject: { ip } },
      { policy: 'nope', subject: { ip } },
    ]);
    expect(refused.status).toBe(404);
    expect(refused.body.message).toContain('[1].');
    expect((await check(server, { policy: 'tiny', subject: { ip } })).body.remaining).toBe(3);
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const reply = await consume(server, { policy: 'tiny', subject: { ip: 'a' }, pad: 'x'.repeat(1_100_000) });
    expect(reply.status).toBe(413);
    expect(reply.body.error).toBe('payload_too_large');
  });

  it('reads the body as JSON whatever its content type says, or without one', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const res = await fetch(`${server.httpUrl}/v1/check`, {
        method: 'POST',
        ...(contentType ? { headers: { 'content-type': contentType } } : {}),
        body: Buffer.from(JSON.stringify({ policy: 'tiny', subject: { ip: fresh('ip') } })),
      });
      expect(res.status, String(contentType)).toBe(200);
      expect(await res.json()).toMatchObject({ allowed: true, policy: 'tiny', remaining: 3 });
    }
  });

  describe('reading the body', () => {
    const request = JSON.stringify({ policy: 'tiny', subject: { ip: 'body-reading' } });
    const CT = 'Content-Type: application/json';
    const bodies: [string, string[], Buffer | string, number, object | undefined][] = [
      ['charset=utf-8', [`${CT}; charset=utf-8`], request, 200, undefined],
      ['charset=UTF-8 on another media type', ['Content-Type: text/plain;charset=UTF-8'], request, 200, undefined],
      ['a quoted charset="utf-8"', [`${CT}; CHARSET="utf-8"`], request, 200, undefined],
      ['charset=latin1', [`${CT}; charset=latin1`], request, 415, charsetRefused('latin1')],
      ['charset=utf8 (not the name utf-8)', [`${CT}; charset=utf8`], request, 415, charsetRefused('utf8')],
      ['an empty charset', [`${CT}; charset=`], request, 415, charsetRefused('')],
      ['the first of two charsets', [`${CT}; charset=latin1; charset=utf-8`], request, 415, charsetRefused('latin1')],
      // a body really in UTF-16 is refused too: nothing is transcoded
      ['a UTF-16 body', [`${CT}; charset=utf-16le`], Buffer.from(request, 'utf16le'), 415, charsetRefused('utf-16le')],
      ['charset=utf-16 on a UTF-8 body', [`${CT}; charset=utf-16`], request, 415, charsetRefused('utf-16')],
      ['Content-Encoding: identity', ['Content-Encoding: identity'], request, 200, undefined],
      ['Content-Encoding: IDENTITY', ['Content-Encoding: IDENTITY'], request, 200, undefined],
      // nothing is decompressed
      ['a gzip body', ['Content-Encoding: gzip'], gzipSync(request), 415, encodingRefused('gzip')],
      ['Content-Encoding: br on a plain body', ['Content-Encoding: br'], request, 415, encodingRefused('br')],
      ['Content-Encoding: bogus', ['Content-Encoding: bogus'], request, 415, encodingRefused('bogus')],
      ['two content codings', ['Content-Encoding: identity, gzip'], request, 415, encodingRefused('identity, gzip')],
      ['a leading UTF-8 BOM (ignored)', [], Buffer.concat([BOM, Buffer.from(request)]), 200, undefined],
      ['two leading BOMs', [], Buffer.concat([BOM, BOM, Buffer.from(request)]), 400, BAD_JSON],
      ['a BOM after the JSON', [], Buffer.concat([Buffer.from(request), BOM]), 400, BAD_JSON],
      [
        'a BOM alone (an empty body, so {})',
        [],
        BOM,
        400,
        { error: 'invalid_request', message: 'policy must be a non-empty string of well-formed Unicode' },
      ],
      ['a chunked body', ['Transfer-Encoding: chunked'], chunk(request), 200, undefined],
      ['no JSON at all', [], 'policy=tiny', 400, BAD_JSON],
      // the media type is never looked at, even when it is not one
      ['a Content-Type that is no media type', ['Content-Type: json'], request, 200, undefined],
      ['a charset parameter without a value', [`${CT}; charset`], request, 200, undefined],
      [
        'an empty body without a Content-Type (so {})',
        [],
        '',
        400,
        { error: 'invalid_request', message: 'policy must be a non-empty string of well-formed Unicode' },
      ],
    ];

    it.each(bodies)('%s: %i', async (_name, headers, body, status, refusal) => {
      const reply = await rawPost(server, headers, body);
      expect(reply.status).toBe(status);
      if (refusal === undefined) expect(reply.body).toMatchObject({ allowed: true, policy: 'tiny' });
      else expect(reply.body).toEqual(refusal);
    });

    it('checks, in order: a body at all, its charset, its content coding, its size, its JSON', async () => {
      // just over 1 MiB (so that Profile B, which closes after a 413, has read nearly all of it), and not JSON
      const big = `{"policy":"tiny","subject":{"ip":"a"},"pad":"${'x'.repeat(1024 * 1024)}`;
      const latin1 = 'Content-Type: text/plain; charset=latin1';
      // no Content-Length nor Transfer-Encoding: no body, whatever the other headers say
      expect(await rawPost(server, [latin1, 'Content-Encoding: gzip'])).toMatchObject({
        status: 400,
        body: { error: 'invalid_request', message: 'body must be an object' },
      });
      // Content-Length: 0 is an empty body, which has a charset and a coding
      expect(await rawPost(server, [latin1], '')).toMatchObject({ status: 415, body: charsetRefused('latin1') });
      expect(await rawPost(server, ['Content-Encoding: gzip'], '')).toMatchObject({
        status: 415,
        body: encodingRefused('gzip'),
      });
      expect(await rawPost(server, [latin1, 'Content-Encoding: gzip'], big)).toMatchObject({
        status: 415,
        body: charsetRefused('latin1'),
      });
      expect(await rawPost(server, ['Content-Encoding: gzip'], big)).toMatchObject({
        status: 415,
        body: encodingRefused('gzip'),
      });
      expect(await rawPost(server, [], big)).toMatchObject({ status: 413, body: TOO_LARGE });
      expect(await rawPost(server, ['Transfer-Encoding: chunked'], chunk(big))).toMatchObject({
        status: 413,
        body: TOO_LARGE,
      });
      expect(await rawPost(server, [], big.slice(0, 1000))).toMatchObject({ status: 400, body: BAD_JSON });
    });

    it('decodes ill-formed UTF-8 as U+FFFD, one per maximal ill-formed sequence, and decides on that', async () => {
      const policy = Buffer.from([0xff, 0xfe, 0x41, 0xe2, 0x82, 0x41, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98]);
      const unknown = await rawPost(
        server,
        [],
        Buffer.concat([Buffer.from('{"policy":"'), policy, Buffer.from('","subject":{"ip":"a"}}')]),
      );
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({
        error: 'unknown_policy',
        message: "policy: no policy named '\ufffd\ufffdA\ufffdA\ufffd\ufffd\ufffd\ufffd'",
      });
      // a subject value with an ill-formed byte is the same subject as its U+FFFD spelling
      const ip = fresh('ip');
      const bytes = Buffer.concat([Buffer.from(`{"policy":"tiny","subject":{"ip":"${ip}`), Buffer.from([0xc0])]);
      const spent = await rawPost(server, [], Buffer.concat([bytes, Buffer.from('"},"cost":2}')]));
      expect(spent.body).toMatchObject({ allowed: true, remaining: 3 }); // a check: nothing spent
      await consume(server, { policy: 'tiny', subject: { ip: `${ip}\ufffd` }, cost: 2 });
      const after = await rawPost(server, [], Buffer.concat([bytes, Buffer.from('"}}')]));
      expect(after.body).toMatchObject({ allowed: true, remaining: 1 });
    });
  });

  it('keeps the connection open after refusing a body (415, 400), as after a decision', async () => {
    const socket = await RawSocket.connect(server.port);
    try {
      const post = (headers: string[], body: string) =>
        ['POST /v1/check HTTP/1.1', 'Host: 127.0.0.1', ...headers, `Content-Length: ${body.length}`, '', body].join(
          '\r\n',
        );
      const request = JSON.stringify({ policy: 'tiny', subject: { ip: fresh('ip') } });
      for (const [headers, body, status] of [
        [['Content-Encoding: gzip'], request, 415],
        [[], '{', 400],
        [[], request, 200],
      ] as const) {
        const before = socket.data.length;
        socket.write(post([...headers], body));
        const answer = (await socket.waitFor((d) => answered(d.subarray(before)))).subarray(before);
        expect(answer.toString('latin1'), body).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
        expect(answer.toString('latin1'), body).not.toMatch(/\r\nconnection: *close\r\n/i);
      }
      expect(socket.destroyed).toBe(false);
    } finally {
      socket.destroy();
    }
  });

  it('logs nothing for an upload its client aborts, and serves on', async () => {
    const logged = server.log.length;
    for (const path of ['/v1/check', '/v1/check_and_consume']) {
      const socket = await RawSocket.connect(server.port);
      socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{"policy":"tiny",`);
      await new Promise((r) => setTimeout(r, 50)); // the server is reading the body
      socket.destroy();
    }
    await new Promise((r) => setTimeout(r, 200)); // the server has seen both connections go
    expect((await check(server, { policy: 'tiny', subject: { ip: fresh('ip') } })).status).toBe(200);
    // an aborted upload is the client's doing, not an error of the server's
    expect(server.log.slice(logged)).not.toMatch(/decision failed|"level":"(error|warn)"|aborted/i);
  });

  it('answers an unknown route or method with 404 in the same body shape', async () => {
    const res = await fetch(`${server.httpUrl}/v1/check`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toBe('not_found');
  });

  it('refuses to start on a bad policy file, naming the field', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        policies: [{ name: 'b', algorithm: 'token_bucket', scope: ['ip'], capacity: 0, refillPerSec: 1 }],
      }),
    );
    const result = await runToExit(profile, { POLICIES_FILE: bad, PORT: '0' });
    expect(result.code).toBe(2);
    expect(result.output).toContain('policies[0].capacity');
  });
});

describe('decision API on a shared Redis', () => {
  let redis: RedisServer;
  const servers: ServerProcess[] = [];
  const env = () => ({
    POLICIES_FILE,
    LIMITER_STORE: 'redis',
    REDIS_URL: redis.url,
    REDIS_TIMEOUT_MS: '200',
    BREAKER_FAILURES: '2',
    BREAKER_OPEN_MS: '200',
    // a Redis denial is answered from the local cache for up to a minute (its retry is longer)
    DENY_CACHE_MS: '60000',
  });

  beforeAll(async () => {
    redis = await RedisServer.start();
    for (const profile of CONTRACT_PROFILES) servers.push(await ServerProcess.start(profile, env()));
    if (servers.length === 1) servers.push(await ServerProcess.start(CONTRACT_PROFILES[0] as Profile, env()));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await redis?.stop();
  });

  it('decides in Redis', async () => {
    for (const server of servers) {
      expect((await consume(server, { policy: 'tiny', subject: { ip: fresh('ip') } })).body.store).toBe('redis');
    }
  });

  it('times each Redis decision into limiter_redis_command_seconds on /metrics, in the same buckets on both profiles', async () => {
    const read = async (server: ServerProcess) => {
      const scrape = parsePrometheus(await (await fetch(`${server.httpUrl}/metrics`)).text());
      const buckets = scrape.samples
        .filter((s) => s.name === 'limiter_redis_command_seconds_bucket')
        .map((s) => [s.labels.le, s.value] as const);
      return {
        type: scrape.types.get('limiter_redis_command_seconds'),
        buckets,
        count: sumOf(scrape, 'limiter_redis_command_seconds_count'),
        sum: sumOf(scrape, 'limiter_redis_command_seconds_sum'),
      };
    };
    const bounds: string[][] = [];
    for (const server of servers) {
      const before = await read(server);
      for (let i = 0; i < 3; i++) {
        expect((await consume(server, { policy: 'tiny', subject: { ip: fresh('ip') } })).body.store).toBe('redis');
      }
      const after = await read(server);
      expect(after.type).toBe('histogram');
      expect(after.count - before.count).toBe(3); // one round trip a decision, each timed
      expect(after.sum).toBeGreaterThan(before.sum);
      // cumulative buckets ending at +Inf = count
      expect(after.buckets.at(-1)).toEqual(['+Inf', after.count]);
      const values = after.buckets.map(([, v]) => v);
      expect(values).toEqual([...values].sort((x, y) => x - y));
      bounds.push(after.buckets.map(([le]) => le as string));
    }
    for (const b of bounds) expect(b).toEqual(bounds[0]);
  });

  it("decides at Redis's clock, not its own: a server two hours ahead answers Redis TIME", async () => {
    const admin = new Redis(redis.url);
    try {
      // (not the Go server: Go reads its clock through the vDSO, where libfaketime cannot shift it)
      for (const profile of CONTRACT_PROFILES.filter((p) => p !== PROFILE_GO)) {
        const ahead = await ServerProcess.start(withClock(profile, '+2h'), env());
        try {
          // the server's own clock is two hours ahead: its pong says so
          const client = await ChatClient.connect(ahead.wsUrl);
          client.send({ type: 'ping' });
          const pong = await client.next();
          await client.close();
          expect(Math.abs(pong.ts - (Date.now() + 7_200_000))).toBeLessThan(60_000);
          const requests = [
            { policy: 'tiny', subject: { ip: fresh('ip') } },
            { policy: 'bucket', subject: { user: fresh('u'), route: 'r' } },
          ];
          for (const request of requests) {
            const [seconds, micros] = await admin.time();
            const redisNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
            const reply = await consume(ahead, request);
            expect(reply.body.store).toBe('redis');
            expect(reply.body.now - redisNow).toBeGreaterThanOrEqual(0);
            expect(reply.body.now - redisNow).toBeLessThan(2_000);
          }
        } finally {
          await ahead.stop();
        }
      }
    } finally {
      admin.disconnect();
    }
  });

  it('never allows more than the policy across two servers under concurrent load', async () => {
    const client = fresh('c');
    const requests = Array.from({ length: 300 }, (_, i) =>
      consume(servers[i % servers.length] as ServerProcess, { policy: 'race', subject: { client } }),
    );
    const replies = await Promise.all(requests);
    expect(replies.map((r) => r.status)).toEqual(Array(300).fill(200));
    // every allowance came from Redis; a denial from Redis, or from the local cache of Redis
    // denials (which of the two depends on how the requests interleave)
    expect(replies.filter((r) => r.body.allowed).map((r) => r.body.store)).toEqual(Array(100).fill('redis'));
    const denials = replies.filter((r) => !r.body.allowed).map((r) => r.body.store);
    expect(denials).toHaveLength(200);
    expect(denials).toContain('redis'); // the first denial on each server comes from Redis ...
    for (const store of denials) expect(['redis', 'cache']).toContain(store);
    // ... and each server saw at least 50 denials: the next one comes from its cache
    for (const server of servers) {
      expect((await consume(server, { policy: 'race', subject: { client } })).body).toMatchObject({
        allowed: false,
        store: 'cache',
      });
    }
    // batches go through the same script, pipelined
    const batch = await consume(servers[0] as ServerProcess, Array(50).fill({ policy: 'race', subject: { client } }));
    expect(batch.body.map((d: any) => d.allowed)).toEqual(Array(50).fill(false));
  });

  it('keeps deciding from memory while Redis is down, then returns to Redis', async () => {
    const decide = async (server: ServerProcess) => {
      const reply = await consume(server, { policy: 'bucket', subject: { user: fresh('u'), route: 'r' } });
      expect(reply.status).toBe(200);
      return reply.body.store as string;
    };
    await redis.stop();
    for (const server of servers) {
      const seen = new Set<string>();
      for (let i = 0; i < 200 && !seen.has('memory'); i++) seen.add(await decide(server));
      expect(seen.has('memory')).toBe(true);
      // once the breaker is open, memory answers without trying Redis
      expect(await decide(server)).toBe('memory');
    }
    await redis.restart();
    for (const [i, server] of servers.entries()) {
      let store = '';
      const deadline = Date.now() + 15_000;
      while (store !== 'redis' && Date.now() < deadline) {
        store = await decide(server);
        if (store !== 'redis') await new Promise((r) => setTimeout(r, 50));
      }
      expect(store).toBe('redis');
      // the breaker closed: every decision of a concurrent burst goes to Redis again (a breaker
      // left half-open would send one probe and answer the rest from memory)
      expect(await Promise.all(Array.from({ length: 20 }, () => decide(server)))).toEqual(Array(20).fill('redis'));
      if (CONTRACT_PROFILES[i]?.name.startsWith('A')) {
        expect(await server.getJson('/health/ready')).toMatchObject({
          status: 200,
          body: { status: 'ok', details: { limiter: { status: 'up', store: 'redis' } } },
        });
      }
    }
  });
});

describe.each(PROFILES_A)('HTTP throttling: profile $name', (profile) => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await ServerProcess.start(profile, { POLICIES_FILE, HTTP_THROTTLE_POLICY: 'tiny' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('guards the app routes with the configured policy through @nestjs/throttler', async () => {
    const replies: Response[] = [];
    for (let i = 0; i < 5; i++) replies.push(await fetch(`${server.httpUrl}/stats`));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
    // the throttler's headers, alike on every platform: the count while allowed, the wait once refused
    const allowed = replies.slice(0, 3).map((r) => r.headers);
    expect(allowed.map((h) => [h.get('x-ratelimit-limit'), h.get('x-ratelimit-remaining')])).toEqual([
      ['3', '2'],
      ['3', '1'],
      ['3', '0'],
    ]);
    for (const headers of allowed) expect(headers.get('x-ratelimit-reset')).toMatch(/^[1-9]\d*$/);
    for (const { headers } of replies.slice(3)) {
      expect(headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect(headers.get('x-ratelimit-remaining')).toBeNull();
      expect(headers.get('content-type')).toBe('application/json; charset=utf-8');
    }
    const limited = await fetch(`${server.httpUrl}/stats`);
    expect(await limited.json()).toEqual({ error: 'too_many_requests', message: expect.any(String) });
    for (let i = 0; i < 5; i++) expect((await fetch(`${server.httpUrl}/health`)).status).toBe(200);
  });
});
