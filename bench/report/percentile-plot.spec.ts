import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../lib/result.js';
import { LatencyHistogram } from '../lib/histogram.js';
import { percentilePlot } from './percentile-plot.js';

const runOf = (latenciesMs: number[]) => {
  const h = new LatencyHistogram();
  for (const ms of latenciesMs) h.record(ms);
  return { latency: h.summary() } as unknown as BenchResult;
};

describe('percentilePlot', () => {
  it("draws each run's distribution, the tail spread out, latency rising with the percentile", () => {
    const b = runOf(Array.from({ length: 10_000 }, (_, i) => 1 + i / 1000));
    const a = runOf(Array.from({ length: 10_000 }, (_, i) => 2 + i / 100));
    const svg = percentilePlot([
      { name: 'B', color: '#00f', runs: [b] },
      { name: 'A', color: '#f00', runs: [a] },
    ]);
    const lines = [...svg.matchAll(/<polyline points="([^"]+)"/g)].map((m) => (m[1] as string).split(' '));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const xs = line.map((p) => Number(p.split(',')[0]));
      const ys = line.map((p) => Number(p.split(',')[1]));
      expect(xs).toEqual([...xs].sort((m, n) => m - n));
      expect(ys).toEqual([...ys].sort((m, n) => n - m)); // SVG y grows downwards
    }
    expect(svg).toContain('>99.9%</text>');
  });

  it('draws nothing for runs without a kept distribution', () => {
    expect(
      percentilePlot([{ name: 'B', color: '#00f', runs: [{ latency: { p95Ms: 1 } } as unknown as BenchResult] }]),
    ).toBe('');
  });
});
