import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, RequestError } from './limiter.js';
import {
  ABORTED,
  badJson,
  bodyEncodingError,
  bodyTooLarge,
  charsetOf,
  declaresBody,
  decodeBody,
  parseJsonBody,
  readJsonBody,
  type BodyHeaders,
} from './request-body.js';

const unsupported = (message: string) => new RequestError(415, 'unsupported_media_type', message);

describe('declaresBody', () => {
  it.each([
    [{}, false],
    [{ 'content-type': 'application/json' }, false],
    [{ 'content-length': '0' }, true],
    [{ 'content-length': '12' }, true],
    [{ 'content-length': 'x' }, false],
    [{ 'transfer-encoding': 'chunked' }, true],
    [{ 'transfer-encoding': 'chunked', 'content-length': 'x' }, true],
  ])('%j -> %s', (headers, expected) => {
    expect(declaresBody(headers)).toBe(expected);
  });
});

describe('charsetOf', () => {
  // as the `content-type` package (body-parser's) reads them
  it.each([
    ['application/json', undefined],
    ['', undefined],
    ['garbage', undefined],
    ['application/json; charset=utf-8', 'utf-8'],
    ['application/json;charset=UTF-8', 'UTF-8'],
    ['text/plain; CharSet = latin1 ', 'latin1'],
    ['a/b; charset="utf-8"', 'utf-8'],
    ['a/b; charset="a\\"b;c"; x=y', 'a"b;c'],
    ['a/b; charset="unterminated', undefined],
    ['a/b; charset=', ''],
    ['a/b; charset', undefined],
    ['a/b; charset; x=y', undefined],
    ['a/b; x=y; charset=utf-16', 'utf-16'],
    ['a/b; x="charset=latin1"; charset=utf-8', 'utf-8'],
    ['a/b; charset=utf-8; charset=latin1', 'utf-8'],
    ['a/b; charset=latin1; charset=utf-8', 'latin1'],
    ['a/b; xcharset=latin1', undefined],
    ['a/b;; ;charset=koi8-r', 'koi8-r'],
    ['a/b; charset=utf-8,latin1', 'utf-8,latin1'],
    ['a/b; \tcharset\t=\t"x y"\t', 'x y'],
  ])('%j -> %j', (header, expected) => {
    expect(charsetOf(header)).toBe(expected);
  });
});

describe('bodyEncodingError', () => {
  it.each([
    [{}],
    [{ 'content-type': 'application/json' }],
    [{ 'content-type': 'text/plain; charset=utf-8' }],
    [{ 'content-type': 'application/json; charset=UTF-8' }],
    [{ 'content-type': 'application/json; charset="Utf-8"' }],
    [{ 'content-type': 'garbage; nonsense' }],
    [{ 'content-encoding': 'identity' }],
    [{ 'content-encoding': 'IDENTITY' }],
    [{ 'content-encoding': '' }],
  ])('reads %j', (headers) => {
    expect(bodyEncodingError(headers)).toBeUndefined();
  });

  it.each([
    ['latin1', 'charset "latin1" is not supported: the body must be UTF-8'],
    ['utf8', 'charset "utf8" is not supported: the body must be UTF-8'],
    ['utf-16', 'charset "utf-16" is not supported: the body must be UTF-8'],
    ['utf-8 ', undefined], // trimmed: utf-8
    ['', 'charset "" is not supported: the body must be UTF-8'],
    ['"utf-7"', 'charset "utf-7" is not supported: the body must be UTF-8'],
  ])('refuses charset=%s', (charset, message) => {
    const error = bodyEncodingError({ 'content-type': `application/json; charset=${charset}` });
    expect(error).toEqual(message === undefined ? undefined : unsupported(message));
  });

  it.each(['gzip', 'deflate', 'br', 'zstd', 'bogus', 'identity, gzip', 'identity, identity'])(
    'refuses Content-Encoding %s',
    (encoding) => {
      expect(bodyEncodingError({ 'content-encoding': encoding })).toEqual(
        unsupported(`content encoding ${JSON.stringify(encoding)} is not supported: the body must not be encoded`),
      );
    },
  );

  it('looks at the charset before the content coding', () => {
    expect(bodyEncodingError({ 'content-type': 'a/b; charset=latin1', 'content-encoding': 'gzip' })).toEqual(
      unsupported('charset "latin1" is not supported: the body must be UTF-8'),
    );
  });
});

describe('decodeBody', () => {
  const bytes = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

  it('decodes UTF-8', () => {
    expect(decodeBody(bytes('{"a":"é😀"}'))).toBe('{"a":"é😀"}');
    expect(decodeBody(Buffer.alloc(0))).toBe('');
  });

  it('drops one leading byte order mark, and only there', () => {
    expect(decodeBody(bytes([0xef, 0xbb, 0xbf], '{}'))).toBe('{}');
    expect(decodeBody(bytes([0xef, 0xbb, 0xbf]))).toBe('');
    expect(decodeBody(bytes([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], '{}'))).toBe('\ufeff{}');
    expect(decodeBody(bytes('{}', [0xef, 0xbb, 0xbf]))).toBe('{}\ufeff');
    expect(decodeBody(bytes([0xef, 0xbb], '{}'))).toBe('\ufffd{}'); // half a BOM is ill-formed
  });

  it('replaces each ill-formed sequence by U+FFFD (maximal subparts, as the WHATWG decoder)', () => {
    expect(decodeBody(bytes('a', [0xff], 'b'))).toBe('a\ufffdb');
    expect(decodeBody(bytes([0xe2, 0x82], 'A'))).toBe('\ufffdA'); // a truncated sequence: one
    expect(decodeBody(bytes([0xed, 0xa0, 0x80]))).toBe('\ufffd\ufffd\ufffd'); // an encoded surrogate
    expect(decodeBody(bytes([0xc0, 0xaf]))).toBe('\ufffd\ufffd'); // an overlong form
    expect(decodeBody(bytes([0xf0, 0x9f, 0x98]))).toBe('\ufffd'); // truncated at the end
  });
});

describe('parseJsonBody', () => {
  it('reads an object or an array; an empty text is {}', () => {
    expect(parseJsonBody('{"a":1}')).toEqual({ a: 1 });
    expect(parseJsonBody(' [1] ')).toEqual([1]);
    expect(parseJsonBody('')).toEqual({});
  });

  it.each(['{', 'nope', '"tiny"', '5', 'null', 'true', '   ', '\ufeff{}', '{}x'])('refuses %j as bad_json', (text) => {
    expect(parseJsonBody(text)).toEqual(badJson());
  });
});

describe('refusals', () => {
  it('word a body too large or not JSON', () => {
    expect(bodyTooLarge()).toEqual(new RequestError(413, 'payload_too_large', 'body over 1048576 bytes'));
    expect(badJson()).toEqual(new RequestError(400, 'bad_json', 'body is not valid JSON'));
  });
});

describe('readJsonBody', () => {
  /** A request with `headers` whose body arrives in `chunks`, then fails with `error` if given. */
  function request(headers: BodyHeaders, chunks: Buffer[], error?: Error) {
    return {
      headers,
      async *[Symbol.asyncIterator]() {
        yield* chunks;
        if (error !== undefined) throw error;
      },
    };
  }
  const json = (text: string) => Buffer.from(text);

  it('reads the JSON of a body in chunks, a UTF-8 character split across two', async () => {
    const euro = Buffer.from('{"a":"€"}');
    const read = readJsonBody(
      request({ 'content-length': String(euro.length) }, [euro.subarray(0, 7), euro.subarray(7)]),
    );
    expect(await read).toEqual({ a: '€' });
  });

  it('reads no body when none is declared, whatever the headers say', async () => {
    expect(await readJsonBody(request({ 'content-encoding': 'gzip' }, [json('{')]))).toBeUndefined();
  });

  it('reads an empty body as {}, and applies the charset and coding rules to it', async () => {
    expect(await readJsonBody(request({ 'content-length': '0' }, []))).toEqual({});
    const gzip = await readJsonBody(request({ 'content-length': '0', 'content-encoding': 'gzip' }, []));
    expect(gzip).toEqual(bodyEncodingError({ 'content-encoding': 'gzip' }));
  });

  it('refuses a charset before it reads a byte', async () => {
    const headers = { 'transfer-encoding': 'chunked', 'content-type': 'text/plain; charset=latin1' };
    const refused = await readJsonBody(request(headers, [], new Error('not read')));
    expect(refused).toEqual(bodyEncodingError(headers));
  });

  it('takes exactly MAX_BODY_BYTES, and refuses one byte more with 413 before the JSON', async () => {
    const at = (n: number) => [json('['), Buffer.alloc(n - 2, 0x20), json(']')];
    expect(await readJsonBody(request({ 'transfer-encoding': 'chunked' }, at(MAX_BODY_BYTES)))).toEqual([]);
    const over = [Buffer.alloc(MAX_BODY_BYTES, 0x78), json('x')];
    expect(await readJsonBody(request({ 'transfer-encoding': 'chunked' }, over))).toEqual(bodyTooLarge());
  });

  it('refuses a body that is not JSON', async () => {
    expect(await readJsonBody(request({ 'content-length': '1' }, [json('{')]))).toEqual(badJson());
  });

  it('answers ABORTED when the stream fails (the client went away)', async () => {
    const aborted = readJsonBody(request({ 'content-length': '10' }, [json('{"a"')], new Error('aborted')));
    expect(await aborted).toBe(ABORTED);
  });
});
