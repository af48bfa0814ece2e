import { describe, expect, it } from 'vitest';
import { firstNestedKey, keySkippedByClassTransformer, nestedDeeperThan } from './class-transformer-gaps.js';

describe('keySkippedByClassTransformer', () => {
  it.each([...Object.getOwnPropertyNames(Object.prototype), 'prototype'])('finds %s', (key) => {
    expect(keySkippedByClassTransformer(JSON.parse(`{"type":"chat",${JSON.stringify(key)}:1}`))).toBe(key);
  });

  it('finds nothing in the fields of the contract', () => {
    expect(
      keySkippedByClassTransformer({ type: 'chat', room: 'r', user: 'u', text: 't', id: 'i', ts: 1 }),
    ).toBeUndefined();
  });
});

describe('firstNestedKey', () => {
  it('names the first field holding an object or an array', () => {
    expect(firstNestedKey({ type: 'chat', text: 'a', ts: [1], id: {} })).toBe('ts');
    expect(firstNestedKey({ type: 'chat', text: 'a', room: { a: 1 } })).toBe('room');
  });

  it('finds nothing when every field is a scalar or null', () => {
    expect(firstNestedKey({ type: 'chat', text: 'a', ts: 1, id: null, x: true })).toBeUndefined();
  });
});

describe('nestedDeeperThan', () => {
  const deep = (n: number) => JSON.parse('['.repeat(n) + ']'.repeat(n));

  it('counts levels of objects and arrays below the value', () => {
    expect(nestedDeeperThan('a', 0)).toBe(false);
    expect(nestedDeeperThan({}, 0)).toBe(true);
    expect(nestedDeeperThan({ subject: { user: 'a' } }, 2)).toBe(false);
    expect(nestedDeeperThan({ subject: { user: [] } }, 2)).toBe(true);
    expect(nestedDeeperThan({ subject: { user: 'a' }, cost: [1] }, 2)).toBe(false);
    expect(nestedDeeperThan([[1], [[2]]], 2)).toBe(true);
  });

  it('looks no deeper than it must, whatever the depth', () => {
    expect(nestedDeeperThan({ a: deep(100_000) }, 2)).toBe(true);
  });
});
