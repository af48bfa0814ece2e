import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../lib/result.js';
import { manyRows } from './many.js';

const run = (throughput: number, cpu?: number) =>
  ({
    throughputPerSec: throughput,
    latency: { count: 1, meanMs: 1, p50Ms: 1, p95Ms: 1, p99Ms: 1, maxMs: 1 },
    ...(cpu === undefined ? {} : { server: { cpuMicrosPerUnit: cpu } }),
    details: {},
  }) as unknown as BenchResult;

describe('manyRows', () => {
  it('sets each target against the first, metric by metric', () => {
    const rows = manyRows([
      [run(100, 10), run(110, 12)],
      [run(50, 20), run(50, 20)],
      [run(210)], // no server figures: a URL without /stats
    ]);
    const throughput = rows.find((r) => r.metric === 'throughput');
    expect(throughput?.first).toEqual({ median: 105, min: 100, max: 110 });
    expect(throughput?.others.map((o) => o?.a.median)).toEqual([50, 210]);
    expect(throughput?.others.map((o) => Math.round(o?.deltaPct as number))).toEqual([-52, 100]);
    const cpu = rows.find((r) => r.metric === 'server CPU per unit');
    expect(cpu?.others[0]?.a.median).toBe(20);
    expect(cpu?.others[1]).toBeUndefined(); // n/a for the target without the figure
  });
});
