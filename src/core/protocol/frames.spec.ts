import { describe, expect, it } from 'vitest';
import type { ErrorCode } from './contract.js';
import {
  BINARY_FRAME_ERROR_MESSAGE,
  chatFrame,
  chatFrameHead,
  decodeFrame,
  errorFrame,
  FrameError,
  joinFrame,
  leaveFrame,
  pongFrame,
  rateLimitedError,
  roomError,
} from './frames.js';

describe('FrameError', () => {
  it('keeps code, message and retryAfterMs, and echoes a valid id as ref', () => {
    const error = new FrameError('rate_limited', 'slow down', 'm-1', 250);
    expect({ ...error }).toEqual({ code: 'rate_limited', message: 'slow down', ref: 'm-1', retryAfterMs: 250 });
    expect(error.ref).toBe('m-1');
    expect(error.retryAfterMs).toBe(250);
  });

  it('has no ref and no retryAfterMs when none is given', () => {
    const error = new FrameError('bad_json', 'x');
    expect(error.code).toBe('bad_json');
    expect(error.message).toBe('x');
    expect(error.ref).toBeUndefined();
    expect(error.retryAfterMs).toBeUndefined();
  });

  it.each([
    ['i'.repeat(64), 'i'.repeat(64)],
    ['😀'.repeat(64), '😀'.repeat(64)],
    ['i'.repeat(65), undefined],
    ['😀'.repeat(65), undefined],
    ['', undefined],
    ['a\ud800', undefined],
    [5, undefined],
    [null, undefined],
    [{ id: 'x' }, undefined],
  ])('id %j gives ref %j', (id, ref) => {
    expect(new FrameError('invalid_message', 'm', id).ref).toBe(ref);
  });
});

describe('decodeFrame', () => {
  it.each([
    ['', 'frame is not valid JSON'],
    ['nope', 'frame is not valid JSON'],
    ['{"type":"chat"', 'frame is not valid JSON'],
    ['{"type":"ping",}', 'frame is not valid JSON'],
    ['null', 'frame must be a JSON object'],
    ['42', 'frame must be a JSON object'],
    ['"chat"', 'frame must be a JSON object'],
    ['true', 'frame must be a JSON object'],
    ['false', 'frame must be a JSON object'],
    ['[]', 'frame must be a JSON object'],
    ['[{"type":"ping","id":"a"}]', 'frame must be a JSON object'],
  ])('%j is bad_json: %s', (text, message) => {
    const result = decodeFrame(text);
    expect(result).toBeInstanceOf(FrameError);
    expect({ ...result }).toEqual({ code: 'bad_json', message, ref: undefined, retryAfterMs: undefined });
  });

  it.each([
    ['{}', undefined],
    ['{"id":"m1","text":"x"}', 'm1'],
    ['{"type":5,"id":"m2"}', 'm2'],
    ['{"type":null,"id":"m2"}', 'm2'],
    ['{"type":["chat"],"id":"m2"}', 'm2'],
    ['{"type":{"toString":"chat"}}', undefined],
    ['{"type":5,"id":""}', undefined],
    ['{"type":5,"id":7}', undefined],
  ])('%j has no string type: invalid_message with ref %j', (text, ref) => {
    const result = decodeFrame(text);
    expect(result).toBeInstanceOf(FrameError);
    expect({ ...result }).toEqual({
      code: 'invalid_message',
      message: 'type must be a string',
      ref,
      retryAfterMs: undefined,
    });
  });

  it.each([
    ['{"type":"shout","id":"m3"}', 'm3'],
    ['{"type":"CHAT","text":"x"}', undefined],
    ['{"type":"","id":"m4"}', 'm4'],
    ['{"type":"constructor","id":"m5"}', 'm5'],
    ['{"type":"__proto__"}', undefined],
    ['{"type":"shout","id":""}', undefined],
    ['{"type":"shout","id":"' + 'i'.repeat(65) + '"}', undefined],
  ])('%j is unknown_type with ref %j', (text, ref) => {
    const result = decodeFrame(text);
    expect(result).toBeInstanceOf(FrameError);
    expect({ ...result }).toEqual({
      code: 'unknown_type',
      message: 'unknown message type',
      ref,
      retryAfterMs: undefined,
    });
  });

  it.each([
    ['{"type":"join","user":"bob"}', { type: 'join', user: 'bob' }],
    ['{"type":"chat","text":"hi","id":"c1","ts":1.5}', { type: 'chat', text: 'hi', id: 'c1', ts: 1.5 }],
    ['{"type":"ping"}', { type: 'ping' }],
    ['{"type":"pong","ts":-0.25}', { type: 'pong', ts: -0.25 }],
    ['{"type":"leave","room":"r"}', { type: 'leave', room: 'r' }],
    // fields are not checked in this step, and the last of repeated keys counts
    ['{"type":"ping","extra":[1,null],"type":"leave"}', { type: 'leave', extra: [1, null] }],
    [' \n{"type":"chat","text":""}\t', { type: 'chat', text: '' }],
  ])('%j decodes to the parsed object', (text, message) => {
    const result = decodeFrame(text);
    expect(result).not.toBeInstanceOf(FrameError);
    expect(result).toStrictEqual(message);
  });
});

describe('server frames', () => {
  it('join and leave', () => {
    expect(joinFrame('public', 'bob', 1)).toBe('{"type":"join","room":"public","user":"bob","members":1}');
    expect(leaveFrame('r_1.x-Y', 'alice', 0)).toBe('{"type":"leave","room":"r_1.x-Y","user":"alice","members":0}');
  });

  it('chat, with and without the optional id and ts', () => {
    expect(chatFrame('public', 'alice', 'hello', undefined, undefined, 1)).toBe(
      '{"type":"chat","room":"public","user":"alice","text":"hello","seq":1}',
    );
    expect(chatFrame('public', 'alice', 'hello', 'c1', 1764403200123.5, 7)).toBe(
      '{"type":"chat","room":"public","user":"alice","text":"hello","id":"c1","ts":1764403200123.5,"seq":7}',
    );
    expect(chatFrame('r', 'u', 'a "q"\n😀', undefined, -0.25, 2)).toBe(
      '{"type":"chat","room":"r","user":"u","text":"a \\"q\\"\\n😀","ts":-0.25,"seq":2}',
    );
    expect(chatFrame('r', 'u', 't', 'i', 0, 3)).toBe(
      '{"type":"chat","room":"r","user":"u","text":"t","id":"i","ts":0,"seq":3}',
    );
  });

  it('chatFrameHead is chatFrame without seq and closing brace', () => {
    expect(chatFrameHead('public', 'alice', 'hello', undefined, undefined)).toBe(
      '{"type":"chat","room":"public","user":"alice","text":"hello","seq":',
    );
    expect(chatFrameHead('r', 'u', 't', 'c1', 12.5)).toBe(
      '{"type":"chat","room":"r","user":"u","text":"t","id":"c1","ts":12.5,"seq":',
    );
    expect(`${chatFrameHead('r', 'u', '}', 'x', -1)}9}`).toBe(chatFrame('r', 'u', '}', 'x', -1, 9));
  });

  it('pong', () => {
    expect(pongFrame(12.5)).toBe('{"type":"pong","ts":12.5}');
    expect(pongFrame(1764403200123)).toBe('{"type":"pong","ts":1764403200123}');
  });

  it('error, with ref and retryAfterMs only when present', () => {
    expect(errorFrame(new FrameError('bad_json', 'frame is not valid JSON'))).toBe(
      '{"type":"error","code":"bad_json","message":"frame is not valid JSON"}',
    );
    expect(errorFrame(new FrameError('invalid_message', 'bad', 'm1'))).toBe(
      '{"type":"error","code":"invalid_message","message":"bad","ref":"m1"}',
    );
    expect(errorFrame(new FrameError('invalid_message', 'bad', ''))).toBe(
      '{"type":"error","code":"invalid_message","message":"bad"}',
    );
    expect(errorFrame(rateLimitedError(100, 'c1'))).toBe(
      '{"type":"error","code":"rate_limited","message":"rate limit exceeded; frame dropped","ref":"c1","retryAfterMs":100}',
    );
  });

  it('the binary frame message', () => {
    expect(BINARY_FRAME_ERROR_MESSAGE).toBe('binary frames are not accepted; send JSON text frames');
  });
});

describe('roomError and rateLimitedError', () => {
  it.each([
    ['invalid_message', 'user differs from the user of this connection'],
    ['not_joined', 'not a member of this room'],
    ['already_joined', 'already a member of this room'],
    ['too_many_rooms', 'too many rooms for one connection'],
    ['internal_error', 'internal_error'],
    ['rate_limited', 'rate_limited'],
    ['bad_json', 'bad_json'],
    ['unknown_type', 'unknown_type'],
  ] as [ErrorCode, string][])('roomError(%s) says %j', (code, message) => {
    expect({ ...roomError(code, 'j7') }).toEqual({ code, message, ref: 'j7', retryAfterMs: undefined });
    expect(roomError(code, 7).ref).toBeUndefined();
    expect(roomError(code, undefined).ref).toBeUndefined();
  });

  it('rateLimitedError carries retryAfterMs and the ref of a valid id', () => {
    expect(rateLimitedError(1, 'x')).toBeInstanceOf(FrameError);
    expect({ ...rateLimitedError(1, 'x') }).toEqual({
      code: 'rate_limited',
      message: 'rate limit exceeded; frame dropped',
      ref: 'x',
      retryAfterMs: 1,
    });
    expect({ ...rateLimitedError(900, '') }).toEqual({
      code: 'rate_limited',
      message: 'rate limit exceeded; frame dropped',
      ref: undefined,
      retryAfterMs: 900,
    });
  });
});
