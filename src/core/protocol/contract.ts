/**
 * The wire contract shared by every implementation (docs/CONTRACT.md is the normative text).
 * Pure data and tiny predicates: no Nest, no sockets.
 */

/** The WebSocket endpoint on the server's HTTP port. */
export const WS_PATH = '/ws';

/** Message types a client may send. */
export const CLIENT_TYPES = ['join', 'chat', 'ping', 'pong', 'leave'] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];

/** Error codes of `{"type":"error","code",...}` frames. */
export type ErrorCode =
  | 'bad_json'
  | 'invalid_message'
  | 'unknown_type'
  | 'not_joined'
  | 'already_joined'
  | 'too_many_rooms'
  | 'rate_limited'
  | 'internal_error';

export const DEFAULT_ROOM = 'public';

/** Field schema. These are part of the wire format, not tunable settings. */
export const ROOM_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
export const USER_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;
export const TEXT_MAX_CHARS = 1024;
export const ID_MAX_CHARS = 64;
/** W3C Trace Context `traceparent` (version-traceid-parentid-flags), optional on every type. */
export const TRACEPARENT_PATTERN = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The fields each client type may carry; any other field is `invalid_message`. */
export const ALLOWED_FIELDS: Readonly<Record<ClientType, ReadonlySet<string>>> = {
  join: new Set(['type', 'room', 'user', 'id', 'traceparent']),
  chat: new Set(['type', 'room', 'text', 'id', 'ts', 'traceparent']),
  ping: new Set(['type', 'ts', 'id', 'traceparent']),
  pong: new Set(['type', 'ts', 'id', 'traceparent']),
  leave: new Set(['type', 'room', 'id', 'traceparent']),
};

/** Fields every message may carry. */
interface Traced {
  /** Tracing context of the client; Profile A joins its trace, Profile B ignores it. */
  traceparent?: string;
}

export interface JoinMessage extends Traced {
  type: 'join';
  room?: string;
  user: string;
  id?: string;
}
export interface ChatMessage extends Traced {
  type: 'chat';
  room?: string;
  text: string;
  id?: string;
  ts?: number;
}
export interface PingMessage extends Traced {
  type: 'ping';
  ts?: number;
  id?: string;
}
export interface PongMessage extends Traced {
  type: 'pong';
  ts?: number;
  id?: string;
}
export interface LeaveMessage extends Traced {
  type: 'leave';
  room?: string;
  id?: string;
}
export type ClientMessage = JoinMessage | ChatMessage | PingMessage | PongMessage | LeaveMessage;

const clientTypes: ReadonlySet<string> = new Set(CLIENT_TYPES);
export function isClientType(value: string): value is ClientType {
  return clientTypes.has(value);
}

/**
 * Length in Unicode code points, the unit of every "characters" limit in the contract
 * (a surrogate pair counts once, as it does for Go's RuneCountInString or Rust's chars().count()).
 */
export function codePointLength(value: string): number {
  let n = value.length;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length) {
      const d = value.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/**
 * A contract string of 1..max characters. Lone surrogates (possible through JSON `\ud800`
 * escapes) are not Unicode text and are rejected, so every language sees the same strings.
 */
export function isContractText(value: unknown, max: number): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    // a string has at most as many code points as UTF-16 units, at least half as many
    (value.length <= max || (value.length <= 2 * max && codePointLength(value) <= max)) &&
    value.isWellFormed()
  );
}

export function isValidId(value: unknown): value is string {
  return isContractText(value, ID_MAX_CHARS);
}

export function isTraceparent(value: unknown): value is string {
  return typeof value === 'string' && TRACEPARENT_PATTERN.test(value);
}

/** `ts` is any finite JSON number, echoed as the same IEEE-754 double. */
export function isValidTs(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
