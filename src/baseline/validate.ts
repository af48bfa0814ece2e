/**
 * Hand-written field validation of a decoded client message: Profile B's validator.
 * Profile A checks the same rules with class-validator DTOs (src/chat/dto); both are pinned to
 * test/vectors/messages.json.
 */
import {
  ALLOWED_FIELDS,
  type ClientMessage,
  ID_MAX_CHARS,
  isContractText,
  isTraceparent,
  isValidTs,
  ROOM_PATTERN,
  TEXT_MAX_CHARS,
  USER_PATTERN,
} from '../core/protocol/contract.js';
import { type DecodedMessage, FrameError } from '../core/protocol/frames.js';

function invalid(message: string, body: DecodedMessage): FrameError {
  return new FrameError('invalid_message', message, body.id);
}

/** Returns the message itself when every field is valid, or the `invalid_message` error. */
export function validateMessage(body: DecodedMessage): ClientMessage | FrameError {
  const allowed = ALLOWED_FIELDS[body.type];
  for (const key in body) {
    if (!allowed.has(key)) return invalid(`unknown field '${key}'`, body);
  }
  if (body.id !== undefined && !isContractText(body.id, ID_MAX_CHARS)) {
    return invalid(`id must be a string of 1 to ${ID_MAX_CHARS} characters`, body);
  }
  if (body.ts !== undefined && !isValidTs(body.ts)) {
    return invalid('ts must be a finite number', body);
  }
  if (body.traceparent !== undefined && !isTraceparent(body.traceparent)) {
    return invalid('traceparent must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)', body);
  }
  if (body.room !== undefined && !(typeof body.room === 'string' && ROOM_PATTERN.test(body.room))) {
    return invalid('room must match ^[A-Za-z0-9_.-]{1,64}$', body);
  }
  switch (body.type) {
    case 'join':
      if (!(typeof body.user === 'string' && USER_PATTERN.test(body.user))) {
        return invalid('user must match ^[A-Za-z0-9_.-]{1,32}$', body);
      }
      break;
    case 'chat':
      if (!isContractText(body.text, TEXT_MAX_CHARS)) {
        return invalid(`text must be a string of 1 to ${TEXT_MAX_CHARS} characters`, body);
      }
      break;
  }
  return body as unknown as ClientMessage;
}
