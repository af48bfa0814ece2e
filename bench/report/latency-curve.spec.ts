import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../lib/result.js';
import { latencyCurve } from './latency-curve.js';

const run = (steps: [number, number, number][]) =>
  ({
    details: {
      steps: steps.map(([offered, p95, p99]) => ({ offeredDeliveriesPerSec: offered, p95Ms: p95, p99Ms: p99 })),
    },
  }) as unknown as BenchResult;

describe('latencyCurve', () => {
  it('draws p95 and p99 of every round against the load, in order of load', () => {
    const svg = latencyCurve([
      // the search went past the knee and came back: 4000 was run after 8000
      {
        name: 'B',
        color: '#00f',
        runs: [
          run([
            [1000, 1, 2],
            [2000, 1, 3],
            [8000, 50, 90],
            [4000, 3, 9],
          ]),
        ],
      },
      {
        name: 'A',
        color: '#f00',
        runs: [
          run([
            [1000, 2, 4],
            [2000, 9, 20],
          ]),
        ],
      },
    ]);
    const lines = [...svg.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1] as string);
    expect(lines).toHaveLength(4); // p95 and p99 for each run
    const xs = (lines[0] as string).split(' ').map((p) => Number(p.split(',')[0]));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(svg).toContain('>1 k</text>');
    expect(svg).toContain('>8 k</text>');
    expect(svg).toContain('>100 ms</text>');
  });

  it('draws nothing for a scenario without steps', () => {
    expect(latencyCurve([{ name: 'B', color: '#00f', runs: [{ details: {} } as unknown as BenchResult] }])).toBe('');
  });
});
