import { describe, expect, it } from 'vitest';
import { codePointLength, isContractText } from './contract.js';
import { decodeFrame, FrameError } from './frames.js';
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
