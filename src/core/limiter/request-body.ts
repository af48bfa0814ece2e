/**
 * How both profiles read the body of a decision request, up to the JSON value whose fields
 * request-rules.ts checks (docs/LIMITER.md, Decision API). Profile A on Express reads it with
 * body-parser, behind a gate that applies `bodyEncodingError` first
 * (src/common/body-encoding.middleware.ts); Profile B (src/baseline/baseline-server.ts) and
 * Profile A on Fastify (src/platform/fastify.ts) with `readJsonBody`. In this order:
 *
 * 1. neither Content-Length nor Transfer-Encoding: no body, nothing else below is checked;
 * 2. a Content-Type `charset` other than `utf-8`: 415 `unsupported_media_type`;
 * 3. a Content-Encoding other than `identity`: 415 `unsupported_media_type`;
 * 4. more than MAX_BODY_BYTES: 413 `payload_too_large`;
 * 5. decoding as UTF-8: one leading BOM is dropped, each ill-formed byte sequence becomes U+FFFD;
 * 6. an empty text is `{}`; anything but a JSON object or array: 400 `bad_json`.
 */
import { MAX_BODY_BYTES, RequestError } from './limiter.js';

/** The request headers that decide how a body is read (Node's `IncomingHttpHeaders` fits). */
export interface BodyHeaders {
  readonly 'content-type'?: string | undefined;
  readonly 'content-encoding'?: string | undefined;
  readonly 'content-length'?: string | undefined;
  readonly 'transfer-encoding'?: string | undefined;
}

/**
 * Whether the request carries a body, as body-parser decides it (type-is `hasBody`): a
 * Transfer-Encoding, or a Content-Length that is a number (`0` included).
 */
export function declaresBody(headers: BodyHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(headers['content-length']));
}

const SP = 0x20;
const HTAB = 0x09;
const SEMI = 0x3b;
const EQ = 0x3d;
const DQUOTE = 0x22;
const BSLASH = 0x5c;

const isOws = (s: string, i: number) => s.charCodeAt(i) === SP || s.charCodeAt(i) === HTAB;
function skipOws(s: string, i: number): number {
  while (i < s.length && isOws(s, i)) i++;
  return i;
}
function trimOwsEnd(s: string, start: number, end: number): number {
  while (end > start && isOws(s, end - 1)) end--;
  return end;
}
function skipValue(s: string, i: number): number {
  while (i < s.length && s.charCodeAt(i) !== SEMI) i++;
  return i;
}

/**
 * The `charset` parameter of a Content-Type value, read exactly as the `content-type` package
 * that body-parser uses reads it: parameter names are case-insensitive, the first `charset`
 * counts, a quoted value is unquoted (`\` escapes), a value is trimmed of spaces and tabs, and
 * nothing is ever malformed (a parameter without `=` is skipped). Undefined when there is none.
 */
export function charsetOf(contentType: string): string | undefined {
  const len = contentType.length;
  let i = skipValue(contentType, 0); // the media type, which is not looked at
  parameter: while (i < len) {
    i = skipOws(contentType, i + 1); // past the ';'
    const nameStart = i;
    while (i < len) {
      const code = contentType.charCodeAt(i);
      if (code === SEMI) continue parameter;
      if (code !== EQ) {
        i++;
        continue;
      }
      const isCharset = contentType.slice(nameStart, trimOwsEnd(contentType, nameStart, i)).toLowerCase() === 'charset';
      i = skipOws(contentType, i + 1);
      if (i < len && contentType.charCodeAt(i) === DQUOTE) {
        let value = '';
        for (i++; i < len;) {
          const c = contentType.charCodeAt(i++);
          if (c === DQUOTE) {
            if (isCharset) return value;
            i = skipValue(contentType, i);
            break;
          }
          value += c === BSLASH && i < len ? contentType[i++] : String.fromCharCode(c);
        }
        continue parameter; // an unterminated quoted value is no value
      }
      const valueStart = i;
      i = skipValue(contentType, i);
      if (isCharset) return contentType.slice(valueStart, trimOwsEnd(contentType, valueStart, i));
      continue parameter;
    }
  }
  return undefined;
}

/**
 * 415 when a body is declared in another charset than UTF-8 (RFC 8259 §8.1: JSON between
 * systems is UTF-8) or with a content coding: neither profile transcodes nor decompresses.
 * `charset=utf-8` in any case is UTF-8 (quoted or not); so are an absent, empty or `identity`
 * (any case) Content-Encoding. Whatever the Content-Type's media type, the body is read as JSON.
 */
export function bodyEncodingError(headers: BodyHeaders): RequestError | undefined {
  const type = headers['content-type'];
  const charset = type === undefined ? undefined : charsetOf(type);
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
    return new RequestError(
      415,
      'unsupported_media_type',
      `charset ${JSON.stringify(charset)} is not supported: the body must be UTF-8`,
    );
  }
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding !== '' && encoding.toLowerCase() !== 'identity') {
    return new RequestError(
      415,
      'unsupported_media_type',
      `content encoding ${JSON.stringify(encoding)} is not supported: the body must not be encoded`,
    );
  }
  return undefined;
}

export const bodyTooLarge = (): RequestError =>
  new RequestError(413, 'payload_too_large', `body over ${MAX_BODY_BYTES} bytes`);

export const badJson = (): RequestError => new RequestError(400, 'bad_json', 'body is not valid JSON');

/**
 * The body's bytes as text: UTF-8, without one leading byte order mark (RFC 8259 §8.1 lets a
 * parser ignore it), each ill-formed sequence replaced by U+FFFD (the WHATWG decoder's rule,
 * which Node's `Buffer#toString` and `StringDecoder`, body-parser's decoder, both follow).
 */
export function decodeBody(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The JSON value of a decoded body, as body-parser's strict parser reads it: an empty text is
 * `{}`; malformed JSON, and JSON that is neither an object nor an array, is `bad_json`.
 */
export function parseJsonBody(text: string): object | RequestError {
  if (text.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return badJson();
  }
  return typeof value === 'object' && value !== null ? value : badJson();
}

/** What readJsonBody returns when the client aborts its upload: there is no one to answer. */
export const ABORTED = Symbol('aborted');

/** A request as readJsonBody reads it: its headers and its body's bytes (Node's `IncomingMessage` fits). */
export interface BodyStream extends AsyncIterable<Buffer> {
  readonly headers: BodyHeaders;
}

/**
 * The body's JSON value (undefined when there is no body) or why it is refused, by the rules
 * above, in their order; ABORTED when the client stops sending (nothing to answer, nothing went
 * wrong). A 413 stops reading at the limit: the rest of the body is left unread.
 */
export async function readJsonBody(req: BodyStream): Promise<object | undefined | RequestError | typeof ABORTED> {
  if (!declaresBody(req.headers)) return undefined;
  const refused = bodyEncodingError(req.headers);
  if (refused !== undefined) return refused;
  const bytes = await readBody(req, MAX_BODY_BYTES);
  if (bytes === undefined) return bodyTooLarge();
  if (bytes === ABORTED) return ABORTED;
  return parseJsonBody(decodeBody(bytes));
}

/** The body's bytes; undefined when they pass `limit`; ABORTED when the client stops sending. */
async function readBody(req: AsyncIterable<Buffer>, limit: number): Promise<Buffer | undefined | typeof ABORTED> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += chunk.length;
      if (size > limit) return undefined;
      chunks.push(chunk);
    }
  } catch {
    // the request stream fails only when its connection does: an aborted upload ('aborted',
    // ECONNRESET), a reset socket, a body shorter than its Content-Length
    return ABORTED;
  }
  return Buffer.concat(chunks);
}
