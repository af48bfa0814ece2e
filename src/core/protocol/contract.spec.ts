import { describe, expect, it } from 'vitest';
import {
  ALLOWED_FIELDS,
  CLIENT_TYPES,
  codePointLength,
  DEFAULT_ROOM,
  ID_MAX_CHARS,
  isClientType,
  isContractText,
  isTraceparent,
  isValidId,
  isValidTs,
  ROOM_PATTERN,
  TEXT_MAX_CHARS,
  TRACEPARENT_PATTERN,
  USER_PATTERN,
  WS_PATH,
} from './contract.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('contract constants', () => {
  it('are the values of docs/CONTRACT.md', () => {
    expect(WS_PATH).toBe('/ws');
    expect(DEFAULT_ROOM).toBe('public');
    expect(CLIENT_TYPES).toEqual(['join', 'chat', 'ping', 'pong', 'leave']);
    expect(TEXT_MAX_CHARS).toBe(1024);
    expect(ID_MAX_CHARS).toBe(64);
    expect(ROOM_PATTERN.source).toBe('^[A-Za-z0-9_.-]{1,64}$');
    expect(USER_PATTERN.source).toBe('^[A-Za-z0-9_.-]{1,32}$');
    expect(TRACEPARENT_PATTERN.source).toBe('^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$');
  });

  it('allow exactly the fields of each client type', () => {
    const fields = Object.fromEntries(Object.entries(ALLOWED_FIELDS).map(([type, set]) => [type, [...set]]));
    expect(fields).toEqual({
      join: ['type', 'room', 'user', 'id', 'traceparent'],
      chat: ['type', 'room', 'text', 'id', 'ts', 'traceparent'],
      ping: ['type', 'ts', 'id', 'traceparent'],
      pong: ['type', 'ts', 'id', 'traceparent'],
      leave: ['type', 'room', 'id', 'traceparent'],
    });
  });
});

describe('isClientType', () => {
  it.each(['join', 'chat', 'ping', 'pong', 'leave'])('accepts %s', (type) => {
    expect(isClientType(type)).toBe(true);
  });

  it.each(['', 'JOIN', 'Chat', 'shout', 'error', 'join ', 'constructor', 'toString', '__proto__'])(
    'rejects %j',
    (type) => {
      expect(isClientType(type)).toBe(false);
    },
  );
});

describe('ROOM_PATTERN and USER_PATTERN', () => {
  // the first and last character of each range, and the neighbours just outside each
  const inside = ['A', 'Z', 'a', 'z', '0', '9', '_', '.', '-', 'M', 'm', '5'];
  const outside = ['@', '[', '`', '{', '/', ':', ' ', ',', '^', '\\', 'é', '\n', '*', '+'];

  it.each([
    [ROOM_PATTERN, 64],
    [USER_PATTERN, 32],
  ])('%s accepts 1 to max characters of the class, nothing else', (pattern, max) => {
    for (const c of inside) {
      expect(pattern.test(c), c).toBe(true);
      expect(pattern.test(c.repeat(max)), `${c} x ${max}`).toBe(true);
      expect(pattern.test(c.repeat(max + 1)), `${c} x ${max + 1}`).toBe(false);
    }
    expect(pattern.test(inside.join(''))).toBe(true);
    expect(pattern.test('')).toBe(false);
    for (const c of outside) {
      expect(pattern.test(c), JSON.stringify(c)).toBe(false);
      expect(pattern.test(`${c}room`), JSON.stringify(c)).toBe(false);
      expect(pattern.test(`room${c}`), JSON.stringify(c)).toBe(false);
      expect(pattern.test(`ro${c}om`), JSON.stringify(c)).toBe(false);
    }
  });
});

describe('codePointLength', () => {
  it.each([
    ['', 0],
    ['abc', 3],
    ['a😀b', 3],
    ['😀', 1],
    ['😀😀', 2],
    ['\ud800\udc00', 1], // lowest high and low surrogates
    ['\udbff\udfff', 1], // highest high and low surrogates
    ['\ud800\udfff', 1],
    ['\udbff\udc00', 1],
    ['\ud7ff\udc00', 2], // just below the high surrogates
    ['\udc00\udc00', 2], // a low surrogate is not the start of a pair
    ['\ud800\ud800', 2],
    ['\ud800\udbff', 2], // just below the low surrogates
    ['\ud800\ue000', 2], // just above the low surrogates
    ['a\udc00', 2],
    ['\ud800x', 2],
    ['\ud800', 1], // lone high surrogate at the end
    ['x\ud800', 2],
    ['\ud800\ud800\udc00', 2],
    ['\ud83d\ud83d\ude00x', 3],
    ['❤️', 2], // a variation selector counts
  ])('%j has %i code points', (value, n) => {
    expect(codePointLength(value)).toBe(n);
  });
});

describe('isContractText', () => {
  it.each([
    ['a', 4, true],
    ['abcd', 4, true],
    ['abcde', 4, false],
    ['abcdefgh', 4, false],
    ['abcdefghi', 4, false],
    ['', 4, false],
    ['😀', 1, true],
    ['😀😀😀😀', 4, true], // 8 UTF-16 units, 4 code points
    ['😀😀😀a', 4, true], // 7 units
    ['😀😀😀😀a', 4, false], // 9 units, 5 code points
    ['😀😀😀ab', 4, false], // 8 units, 5 code points
    ['a😀😀😀', 3, false], // 7 units, 4 code points
    ['😀😀😀😀😀', 4, false], // 10 units, 5 code points
    ['❤️❤️', 4, true],
    ['❤️❤️❤️', 4, false],
    ['a\udc00', 4, false],
    ['\ud800', 4, false],
    ['\ud800\udc00', 1, true],
    ['ab\udbff', 4, false],
  ])('%j with max %i -> %s', (value, max, ok) => {
    expect(isContractText(value, max)).toBe(ok);
  });

  it.each([5, null, undefined, true, {}, ['a'], { length: 1 }, { length: 1, isWellFormed: () => true }])(
    'rejects the non-string %j',
    (value) => {
      expect(isContractText(value, 4)).toBe(false);
    },
  );
});

describe('isValidId', () => {
  it('accepts 1 to 64 code points of well-formed text', () => {
    expect(isValidId('i')).toBe(true);
    expect(isValidId('i'.repeat(64))).toBe(true);
    expect(isValidId('😀'.repeat(64))).toBe(true);
    expect(isValidId('any text, even spaces / é')).toBe(true);
  });

  it('rejects empty, 65 code points, lone surrogates and non-strings', () => {
    expect(isValidId('')).toBe(false);
    expect(isValidId('i'.repeat(65))).toBe(false);
    expect(isValidId('😀'.repeat(65))).toBe(false);
    expect(isValidId(`${'😀'.repeat(63)}ab`)).toBe(false);
    expect(isValidId('a\ud800')).toBe(false);
    expect(isValidId(5)).toBe(false);
    expect(isValidId(null)).toBe(false);
    expect(isValidId(undefined)).toBe(false);
  });
});

describe('isTraceparent', () => {
  it.each([
    TRACEPARENT,
    '09-0123456789abcdef0123456789abcdef-0123456789abcdef-af',
    'af-fedcba9876543210fedcba9876543210-fedcba9876543210-09',
    '00-00000000000000000000000000000000-0000000000000000-00',
    'ff-ffffffffffffffffffffffffffffffff-ffffffffffffffff-ff',
    '99-99999999999999999999999999999999-9999999999999999-99',
    'aa-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-aaaaaaaaaaaaaaaa-aa',
  ])('accepts %s', (value) => {
    expect(isTraceparent(value)).toBe(true);
  });

  const groups = TRACEPARENT.split('-');
  const withGroup = (index: number, group: string) => groups.map((g, i) => (i === index ? group : g)).join('-');
  const bad: string[] = [
    '',
    TRACEPARENT.toUpperCase(),
    `${TRACEPARENT}0`,
    `0${TRACEPARENT}`,
    ` ${TRACEPARENT}`,
    `${TRACEPARENT} `,
    `${TRACEPARENT}\n`,
    `x${TRACEPARENT}`,
    `${TRACEPARENT}x`,
    TRACEPARENT.replaceAll('-', '_'),
    TRACEPARENT.replaceAll('-', ''),
  ];
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as string;
    bad.push(withGroup(i, g.slice(1))); // one digit short
    bad.push(withGroup(i, `${g}0`)); // one digit long
    bad.push(withGroup(i, `0${g}`)); // one digit long, at the start
    bad.push(withGroup(i, `${g}${g}`));
    bad.push(withGroup(i, ''));
    for (const c of ['g', 'A', 'F', '/', ':', '`', '@', 'z', '-', ' ']) {
      bad.push(withGroup(i, `${c}${g.slice(1)}`));
      bad.push(withGroup(i, `${g.slice(0, -1)}${c}`));
    }
  }

  it.each(bad)('rejects %j', (value) => {
    expect(isTraceparent(value)).toBe(false);
  });

  it('rejects non-strings, even those whose string form is a traceparent', () => {
    expect(isTraceparent(1)).toBe(false);
    expect(isTraceparent(null)).toBe(false);
    expect(isTraceparent(undefined)).toBe(false);
    expect(isTraceparent([TRACEPARENT])).toBe(false);
    expect(isTraceparent({ toString: () => TRACEPARENT })).toBe(false);
  });
});

describe('isValidTs', () => {
  it.each([0, -0, 1, -0.25, 12.5, 1764403200123.5, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE])(
    'accepts %d',
    (ts) => {
      expect(isValidTs(ts)).toBe(true);
    },
  );

  it.each([Infinity, -Infinity, NaN, '1', '', null, undefined, true, [1], { valueOf: () => 1 }, 1n])(
    'rejects %s',
    (ts) => {
      expect(isValidTs(ts)).toBe(false);
    },
  );
});
