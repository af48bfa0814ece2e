import { describe, expect, it } from 'vitest';
import { chatFrame, chatFrameHead, joinFrame, leaveFrame } from '../protocol/frames.js';
import {
  channelRoom,
  chatSeq,
  decimalAt,
  FRAME_CHAT,
  FRAME_JOIN,
  FRAME_LEAVE,
  frameType,
  hasOrigin,
  originEnd,
  originPrefix,
  roomChannel,
} from './bus-protocol.js';

describe('chatFrameHead', () => {
  it.each([
    ['plain', 'hi', undefined, undefined, 1],
    ['with id and ts', 'a "quoted"\ntext', 'm-1', 1.5e300, 42],
    ['outside the BMP', '😀 ünïcödé', undefined, -0.25, 9_007_199_254_740_991],
  ])('plus seq and "}" is exactly chatFrame (%s)', (_name, text, id, ts, seq) => {
    expect(`${chatFrameHead('room.1', 'user_1', text, id, ts)}${seq}}`).toBe(
      chatFrame('room.1', 'user_1', text, id, ts, seq),
    );
  });
});

describe('bus messages', () => {
  const message = (origin: string, frame: string) => Buffer.from(`${origin}\n${frame}`);

  it('split into origin and frame; own events are recognised by the node prefix', () => {
    const own = Buffer.from('123-abcd:');
    const m = message('123-abcd:77', joinFrame('r', 'u', 3));
    const end = originEnd(m);
    expect(hasOrigin(m, own, end)).toBe(true);
    expect(decimalAt(m, own.length, end)).toBe(77);
    expect(m.subarray(end + 1).toString()).toBe(joinFrame('r', 'u', 3));
  });

  it('do not take another node, a longer node id, or a made-up event for own', () => {
    const own = Buffer.from('12-ab:');
    for (const origin of ['13-ab:1', '12-abc:1', '-', '12-ab']) {
      const m = message(origin, leaveFrame('r', 'u', 0));
      expect(hasOrigin(m, own, originEnd(m))).toBe(false);
    }
  });

  it("tell the frame type and read a chat frame's seq", () => {
    const frames = [
      joinFrame('r', 'u', 1),
      chatFrame('r', 'u', '}"seq":9}', 'id', 3, 1234567),
      leaveFrame('r', 'u', 0),
    ];
    expect(frames.map((f) => frameType(Buffer.from(f)))).toEqual([FRAME_JOIN, FRAME_CHAT, FRAME_LEAVE]);
    expect(chatSeq(Buffer.from(frames[1] as string))).toBe(1234567);
    expect(chatSeq(Buffer.from(chatFrame('r', 'u', 't', undefined, undefined, 1)))).toBe(1);
  });

  it('without a newline have no origin end', () => {
    expect(originEnd(Buffer.from('garbage'))).toBe(-1);
  });
});

describe('bus names', () => {
  it('names the live processes, a room channel and a process origin as the Lua scripts do', () => {
    expect(roomChannel('a.b-c_9')).toBe('chat:{a.b-c_9}');
    expect(channelRoom(Buffer.from('chat:{a.b-c_9}'))).toBe('a.b-c_9');
    expect(channelRoom(Buffer.from(roomChannel('x')))).toBe('x');
    expect(originPrefix('123-ab').toString()).toBe('123-ab:');
  });

  it('recognises an own origin only with a number after the prefix, and only its own prefix', () => {
    const prefix = originPrefix('7-aa');
    const own = Buffer.from('7-aa:5\n{}');
    expect(hasOrigin(own, prefix, originEnd(own))).toBe(true);
    const bare = Buffer.from('7-aa:\n{}'); // the prefix and no number
    expect(hasOrigin(bare, prefix, originEnd(bare))).toBe(false);
    const other = Buffer.from('7-ab:5\n{}');
    expect(hasOrigin(other, prefix, originEnd(other))).toBe(false);
  });

  it("reads a chat frame's seq with every digit, 0 and 9 included", () => {
    for (const seq of [1, 9, 10, 90, 109, 900, 1234567890]) {
      expect(chatSeq(Buffer.from(`{"type":"chat","room":"r","user":"u","text":"${seq}","seq":${seq}}`))).toBe(seq);
    }
    // only what follows the last non-digit: a text ending in digits does not count
    expect(chatSeq(Buffer.from('{"type":"chat","text":"99","seq":3}'))).toBe(3);
    // the scan stops at the frame's first byte
    expect(chatSeq(Buffer.from('9}'))).toBe(0);
  });
});
