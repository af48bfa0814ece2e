import { describe, expect, it } from 'vitest';
import { OpQueue } from './op-queue.js';

describe('OpQueue', () => {
  it('is first in, first out across compactions', () => {
    const queue = new OpQueue<number>();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) queue.push(next++);
      for (let i = 0; i < 60; i++) expect(queue.shift()).toBe(expected++);
    }
    expect(queue.size).toBe(next - expected);
    expect(queue.peek()).toBe(expected);
    while (queue.size > 0) expect(queue.shift()).toBe(expected++);
    expect(queue.shift()).toBeUndefined();
    expect(queue.peek()).toBeUndefined();
  });
});
