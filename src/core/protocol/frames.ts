/**
 * Decoding client frames and encoding server frames. Pure functions shared by both profiles.
 */
import { type ClientType, type ErrorCode, isClientType, isValidId } from './contract.js';

/** A client frame the server answers with an error frame. */
export class FrameError {
  /** The client's `id`, echoed as `ref` when it is a valid id. */
  readonly ref: string | undefined;
  constructor(
    readonly code: ErrorCode,
    readonly message: string,
    id?: unknown,
    readonly retryAfterMs?: number,
  ) {
    this.ref = isValidId(id) ? id : undefined;
  }
}

/** A decoded JSON object whose `type` is one the contract defines; fields are not yet checked. */
export type DecodedMessage = { type: ClientType } & Record<string, unknown>;

/**
 * Step one of handling a text frame, common to both profiles: JSON, an object, a known `type`.
 * Returns the parsed object itself (no copy) or the error to answer.
 */
export function decodeFrame(text: string): DecodedMessage | FrameError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return new FrameError('bad_json', 'frame is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return new FrameError('bad_json', 'frame must be a JSON object');
  }
  const message = value as Record<string, unknown>;
  const type = message.type;
  if (typeof type !== 'string') {
    return new FrameError('invalid_message', 'type must be a string', message.id);
  }
  if (!isClientType(type)) {
    return new FrameError('unknown_type', `unknown message type`, message.id);
  }
  return message as DecodedMessage;
}

export const BINARY_FRAME_ERROR_MESSAGE = 'binary frames are not accepted; send JSON text frames';

// ---- server frames: each is serialised exactly once, whatever the number of recipients ----

export function joinFrame(room: string, user: string, members: number): string {
  return JSON.stringify({ type: 'join', room, user, members });
}

export function leaveFrame(room: string, user: string, members: number): string {
  return JSON.stringify({ type: 'leave', room, user, members });
}

export function chatFrame(
  room: string,
  user: string,
  text: string,
  id: string | undefined,
  ts: number | undefined,
  seq: number,
): string {
  // JSON.stringify omits undefined members, which gives the optional `id` and `ts`.
  return JSON.stringify({ type: 'chat', room, user, text, id, ts, seq });
}

export function pongFrame(ts: number): string {
  return JSON.stringify({ type: 'pong', ts });
}

export function errorFrame(error: FrameError): string {
  return JSON.stringify({
    type: 'error',
    code: error.code,
    message: error.message,
    ref: error.ref,
    retryAfterMs: error.retryAfterMs,
  });
}

const STATE_ERROR_MESSAGES: Partial<Record<ErrorCode, string>> = {
  invalid_message: 'user differs from the user of this connection',
  not_joined: 'not a member of this room',
  already_joined: 'already a member of this room',
  too_many_rooms: 'too many rooms for one connection',
};

/** The error for a refusal by the room rules (RoomRegistry's return codes). */
export function roomError(code: ErrorCode, id: unknown): FrameError {
  return new FrameError(code, STATE_ERROR_MESSAGES[code] ?? code, id);
}

export function rateLimitedError(retryAfterMs: number, id: unknown): FrameError {
  return new FrameError('rate_limited', 'rate limit exceeded; frame dropped', id, retryAfterMs);
}

/**
 * A chat frame without its `seq` value and closing brace: `head + seq + '}'` is
 * `chatFrame(room, user, text, id, ts, seq)`. For a bus that assigns `seq` elsewhere (Redis).
 */
export function chatFrameHead(
  room: string,
  user: string,
  text: string,
  id: string | undefined,
  ts: number | undefined,
): string {
  const json = JSON.stringify({ type: 'chat', room, user, text, id, ts });
  return `${json.slice(0, -1)},"seq":`;
}
