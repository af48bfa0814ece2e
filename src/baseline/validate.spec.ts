import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type ChatMessage,
  type ClientMessage,
  codePointLength,
  DEFAULT_ROOM,
  type ErrorCode,
  isContractText,
} from '../core/protocol/contract.js';
import {
  chatFrame,
  chatFrameHead,
  type DecodedMessage,
  decodeFrame,
  errorFrame,
  FrameError,
  joinFrame,
  leaveFrame,
  pongFrame,
  roomError,
} from '../core/protocol/frames.js';
import { validateMessage } from './validate.js';

function parse(text: string) {
  const decoded = decodeFrame(text);
  return decoded instanceof FrameError ? decoded : validateMessage(decoded);
}

describe('codePointLength / isContractText', () => {
  it('counts a surrogate pair once and a lone surrogate once', () => {
    expect(codePointLength('a😀b')).toBe(3);
    expect(codePointLength('\ud800x')).toBe(2);
    expect(codePointLength('❤️')).toBe(2);
  });

  it('rejects empty, too long and not well-formed text', () => {
    expect(isContractText('', 4)).toBe(false);
    expect(isContractText('😀😀😀😀', 4)).toBe(true);
    expect(isContractText('😀😀😀😀x', 4)).toBe(false);
    expect(isContractText('a\udc00', 4)).toBe(false);
    expect(isContractText(5, 4)).toBe(false);
  });
});

describe('decodeFrame + validateMessage (Profile B)', () => {
  it('returns the parsed object itself for a valid message', () => {
    expect(parse('{"type":"chat","text":"hi","ts":1}')).toEqual({ type: 'chat', text: 'hi', ts: 1 });
  });

  it.each([
    ['x', 'bad_json', undefined],
    ['[1]', 'bad_json', undefined],
    ['{"id":"r"}', 'invalid_message', 'r'],
    ['{"type":"nope","id":"r"}', 'unknown_type', 'r'],
    ['{"type":"chat","text":"a","extra":1,"id":"r"}', 'invalid_message', 'r'],
    ['{"type":"chat","text":"a","__proto__":1}', 'invalid_message', undefined],
    ['{"type":"ping","id":null}', 'invalid_message', undefined],
    ['{"type":"join","user":"a b","id":"' + 'i'.repeat(64) + '"}', 'invalid_message', 'i'.repeat(64)],
  ])('%s -> %s', (frame, code, ref) => {
    const result = parse(frame);
    expect(result).toBeInstanceOf(FrameError);
    expect(result).toMatchObject({ code, ref });
  });
});

// ---- test/vectors/messages.json: every text vector through decodeFrame + validateMessage ----

interface Vector {
  name: string;
  before: string[];
  frame: string;
  reply: Record<string, unknown>[];
  binary?: boolean;
}
const vectors = (
  JSON.parse(readFileSync(new URL('../../test/vectors/messages.json', import.meta.url), 'utf8')) as {
    vectors: Vector[];
  }
).vectors;
const textVectors = vectors.filter((v) => v.binary !== true);

/** The error codes of steps 1 to 3 of the order of processing (docs/CONTRACT.md). */
const FRAME_CODES = new Set(['bad_json', 'unknown_type', 'invalid_message']);

/** The user bound by the first join of `before`, if any. */
function boundUser(v: Vector): string | undefined {
  for (const text of v.before) {
    const m = JSON.parse(text) as Record<string, unknown>;
    if (m.type === 'join') return m.user as string;
  }
  return undefined;
}

/**
 * `invalid_message` is also the room rule "a join whose user differs from the connection's
 * user" (step 7): such a frame is valid as a frame.
 */
function isUserMismatch(v: Vector): boolean {
  if (v.reply[0]?.code !== 'invalid_message' || !v.frame.includes('"join"')) return false;
  const m = JSON.parse(v.frame) as Record<string, unknown>;
  const user = boundUser(v);
  return m.type === 'join' && user !== undefined && m.user !== user;
}

/** An error frame as the vectors compare it: type, code and ref. */
function compared(frame: string): Record<string, unknown> {
  const { message, ...rest } = JSON.parse(frame) as Record<string, unknown>;
  expect(typeof message).toBe('string');
  return rest;
}

describe('test/vectors/messages.json (Profile B)', () => {
  it('has the text vectors this spec relies on', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(118);
    expect(vectors.length - textVectors.length).toBe(1);
    const codes = new Set(textVectors.flatMap((v) => v.reply.map((r) => r.code)));
    expect([...codes].sort()).toEqual([
      'already_joined',
      'bad_json',
      'invalid_message',
      'not_joined',
      'too_many_rooms',
      'unknown_type',
      undefined,
    ]);
    expect(textVectors.filter(isUserMismatch).map((v) => v.name)).toEqual([
      'join with another user',
      'user stays bound after leaving every room',
    ]);
  });

  const refused = textVectors.filter(
    (v) =>
      v.reply.length > 0 &&
      v.reply[0]?.type === 'error' &&
      FRAME_CODES.has(v.reply[0].code as string) &&
      !isUserMismatch(v),
  );
  const accepted = textVectors.filter((v) => !refused.includes(v));

  it.each(refused.map((v) => [v.name, v] as const))('%s: refused with the exact code and ref', (_name, v) => {
    expect(v.reply).toHaveLength(1);
    const result = parse(v.frame);
    expect(result).toBeInstanceOf(FrameError);
    const error = result as FrameError;
    expect(error.code).toBe(v.reply[0]?.code);
    expect(error.ref).toBe(v.reply[0]?.ref);
    expect(error.retryAfterMs).toBeUndefined();
    expect(compared(errorFrame(error))).toEqual(v.reply[0]);
  });

  it.each(accepted.map((v) => [v.name, v] as const))('%s: valid, and the encoders give the reply', (_name, v) => {
    const result = parse(v.frame);
    expect(result).not.toBeInstanceOf(FrameError);
    const m = result as ClientMessage & Record<string, unknown>;
    expect(m).toStrictEqual(JSON.parse(v.frame));
    const reply = v.reply[0];
    if (reply === undefined) {
      expect(m.type).toBe('pong');
      return;
    }
    expect(v.reply).toHaveLength(1);
    const room = (m.room as string | undefined) ?? DEFAULT_ROOM;
    const user = (m.user as string | undefined) ?? boundUser(v);
    const expected = JSON.stringify(reply);
    switch (reply.type) {
      case 'join':
        expect(m.type).toBe('join');
        expect(joinFrame(room, user as string, reply.members as number)).toBe(expected);
        break;
      case 'leave':
        expect(m.type).toBe('leave');
        expect(leaveFrame(room, user as string, reply.members as number)).toBe(expected);
        break;
      case 'chat': {
        expect(m.type).toBe('chat');
        const chat = m as ChatMessage;
        expect(chatFrame(room, user as string, chat.text, chat.id, chat.ts, reply.seq as number)).toBe(expected);
        expect(`${chatFrameHead(room, user as string, chat.text, chat.id, chat.ts)}${reply.seq as number}}`).toBe(
          expected,
        );
        break;
      }
      case 'pong':
        expect(m.type).toBe('ping');
        expect(pongFrame(m.ts as number)).toBe(expected);
        break;
      case 'error':
        expect(compared(errorFrame(roomError(reply.code as ErrorCode, m.id)))).toEqual(reply);
        break;
      default:
        throw new Error(`unexpected reply type ${String(reply.type)}`);
    }
  });
});

// ---- targeted rules of validateMessage ----

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const MESSAGES = {
  id: 'id must be a string of 1 to 64 characters',
  ts: 'ts must be a finite number',
  traceparent: 'traceparent must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)',
  room: 'room must match ^[A-Za-z0-9_.-]{1,64}$',
  user: 'user must match ^[A-Za-z0-9_.-]{1,32}$',
  text: 'text must be a string of 1 to 1024 characters',
};

function validate(body: Record<string, unknown>) {
  return validateMessage(body as DecodedMessage);
}

function expectInvalid(body: Record<string, unknown>, message: string, ref?: string) {
  const result = validate(body);
  expect(result).toBeInstanceOf(FrameError);
  expect({ ...result }).toEqual({ code: 'invalid_message', message, ref, retryAfterMs: undefined });
}

describe('validateMessage', () => {
  it.each([
    { type: 'join', user: 'bob' },
    { type: 'join', room: 'r', user: 'u'.repeat(32), id: 'j', traceparent: TP },
    { type: 'chat', text: 'x' },
    { type: 'chat', room: 'r'.repeat(64), text: 'x'.repeat(1024), id: 'i'.repeat(64), ts: -0.25, traceparent: TP },
    { type: 'chat', text: '😀'.repeat(1024) },
    { type: 'ping' },
    { type: 'ping', ts: 0, id: 'p', traceparent: TP },
    { type: 'pong' },
    { type: 'pong', ts: 1e300, id: 'p', traceparent: TP },
    { type: 'leave' },
    { type: 'leave', room: 'A.z_0-9', id: 'l', traceparent: TP },
  ])('accepts %j and returns the same object', (body) => {
    expect(validate(body)).toBe(body);
  });

  it.each([
    ['join', { user: 'bob' }, ['text', 'ts', 'seq', 'members', 'ref', 'code']],
    ['chat', { text: 'x' }, ['user', 'seq', 'members', 'ref']],
    ['ping', {}, ['room', 'text', 'user', 'seq']],
    ['pong', {}, ['room', 'text', 'user', 'seq']],
    ['leave', {}, ['user', 'text', 'ts', 'seq']],
  ])('%s refuses the fields it does not define, whatever their value', (type, base, fields) => {
    for (const key of [...fields, 'Type', 'ID', '', 'constructor', 'toString', 'hasOwnProperty']) {
      expectInvalid({ type, ...base, [key]: 'x', id: 'r' }, `unknown field '${key}'`, 'r');
      expectInvalid({ type, ...base, [key]: undefined }, `unknown field '${key}'`);
    }
  });

  it('reports the first unknown field, before any other check, with the ref of a valid id', () => {
    expectInvalid({ type: 'chat', text: '', ts: 'x', a: 1, b: 2, id: 'c' }, "unknown field 'a'", 'c');
    expectInvalid({ type: 'chat', id: 5, zz: 1 }, "unknown field 'zz'");
  });

  it('checks id, then ts, then traceparent, then room, then the type own field', () => {
    const all = { type: 'chat', id: '', ts: '1', traceparent: 'x', room: '', text: '' };
    expectInvalid(all, MESSAGES.id);
    expectInvalid({ ...all, id: 'c' }, MESSAGES.ts, 'c');
    expectInvalid({ ...all, id: 'c', ts: 1 }, MESSAGES.traceparent, 'c');
    expectInvalid({ ...all, id: 'c', ts: 1, traceparent: TP }, MESSAGES.room, 'c');
    expectInvalid({ ...all, id: 'c', ts: 1, traceparent: TP, room: 'r' }, MESSAGES.text, 'c');
    expect(validate({ ...all, id: 'c', ts: 1, traceparent: TP, room: 'r', text: 't' })).toEqual({
      type: 'chat',
      id: 'c',
      ts: 1,
      traceparent: TP,
      room: 'r',
      text: 't',
    });
  });

  it.each(['', 'i'.repeat(65), '😀'.repeat(65), `${'😀'.repeat(64)}a`, 'a\ud800', '\udc00', 5, null, true, ['i'], {}])(
    'refuses the id %j, without ref',
    (id) => {
      expectInvalid({ type: 'join', user: 'u', id }, MESSAGES.id);
      expectInvalid({ type: 'chat', text: 't', id }, MESSAGES.id);
      for (const type of ['join', 'chat', 'ping', 'pong', 'leave']) expectInvalid({ type, id }, MESSAGES.id);
    },
  );

  it.each(['i', 'i'.repeat(64), '😀'.repeat(64), 'spaces and / are fine', '❤️'])('accepts the id %j', (id) => {
    expect(validate({ type: 'ping', id })).toEqual({ type: 'ping', id });
    expect(validate({ type: 'chat', text: 'x', id })).toEqual({ type: 'chat', text: 'x', id });
  });

  it.each([Infinity, -Infinity, NaN, '1', null, true, [1], {}])('refuses the ts %s on chat, ping and pong', (ts) => {
    for (const type of ['ping', 'pong']) expectInvalid({ type, ts, id: 'p' }, MESSAGES.ts, 'p');
    expectInvalid({ type: 'chat', text: 'x', ts }, MESSAGES.ts);
  });

  it.each(['', TP.toUpperCase(), TP.slice(0, -1), `${TP}0`, `x${TP}`, 1, null, [TP]])(
    'refuses the traceparent %j on every type',
    (traceparent) => {
      expectInvalid({ type: 'join', user: 'u', traceparent }, MESSAGES.traceparent);
      expectInvalid({ type: 'chat', text: 'x', traceparent, id: 'c' }, MESSAGES.traceparent, 'c');
      expectInvalid({ type: 'ping', traceparent }, MESSAGES.traceparent);
      expectInvalid({ type: 'pong', traceparent }, MESSAGES.traceparent);
      expectInvalid({ type: 'leave', traceparent }, MESSAGES.traceparent);
    },
  );

  it.each(['', 'r'.repeat(65), 'a b', 'no/slash', 'zoë', 'r\n', null, 7, ['r'], { toString: () => 'r' }])(
    'refuses the room %j on join, chat and leave',
    (room) => {
      expectInvalid({ type: 'join', room, user: 'u', id: 'j' }, MESSAGES.room, 'j');
      expectInvalid({ type: 'chat', room, text: 'x' }, MESSAGES.room);
      expectInvalid({ type: 'leave', room }, MESSAGES.room);
    },
  );

  it.each(['', 'u'.repeat(33), 'a b', 'zoë', 'bob\n', null, 7, ['bob'], { toString: () => 'bob' }, undefined])(
    'refuses the join user %j',
    (user) => {
      expectInvalid({ type: 'join', user, id: 'j' }, MESSAGES.user, 'j');
    },
  );

  it('refuses a join without user', () => {
    expectInvalid({ type: 'join' }, MESSAGES.user);
    expectInvalid({ type: 'join', room: 'r' }, MESSAGES.user);
  });

  it.each([
    '',
    'x'.repeat(1025),
    '😀'.repeat(1025),
    `${'😀'.repeat(1024)}x`,
    '❤️'.repeat(513),
    'a\ud800b',
    7,
    null,
    ['x'],
    undefined,
  ])('refuses the chat text %j', (text) => {
    expectInvalid({ type: 'chat', text, id: 'c' }, MESSAGES.text, 'c');
  });

  it('refuses a chat without text', () => {
    expectInvalid({ type: 'chat' }, MESSAGES.text);
    expectInvalid({ type: 'chat', room: 'r', id: 'c' }, MESSAGES.text, 'c');
  });

  it('does not ask a join for text, nor a chat for user', () => {
    expect(validate({ type: 'join', user: 'u', id: 'j' })).toEqual({ type: 'join', user: 'u', id: 'j' });
    expect(validate({ type: 'chat', text: 't' })).toEqual({ type: 'chat', text: 't' });
    expect(validate({ type: 'ping', ts: 1 })).toEqual({ type: 'ping', ts: 1 });
    expect(validate({ type: 'leave', room: 'r' })).toEqual({ type: 'leave', room: 'r' });
  });
});
