import { describe, expect, it } from 'vitest';
import { seedBars } from './bars.js';
import type { Row } from './rows.js';

const row = (metric: string, unit: string, b: number, a: number): Row => ({
  metric,
  unit,
  higherIsBetter: false,
  b: { median: b, min: b, max: b },
  a: { median: a, min: a, max: a },
  deltaPct: 0,
});

describe('seedBars', () => {
  it("holds each profile's median against the seed's limiter bars", () => {
    const rows = [
      row('throughput', '/s', 50_400, 47_500),
      row('latency p95', 'ms', 19.9, 20),
      row('false allows', '%', 0.1, 1.0),
      row('false denies', '%', 0, 0.95),
    ];
    const text = seedBars('normal', rows).join('\n');
    expect(text).toContain('| throughput at least 50 000 checks/s | 50400 /s: met | 47500 /s: **not met** |');
    expect(text).toContain('| latency p95 below 20 ms | 19.9 ms: met | 20.0 ms: **not met** |');
    expect(text).toContain('| false allows at most 0.1% | 0.100 %: met | 1.000 %: **not met** |');
    expect(text).toContain('| false denies at most 0.1% | 0.000 %: met | 0.950 %: **not met** |');
  });

  it('has none for the chat scenarios or degrade', () => {
    expect(seedBars('steady', [row('throughput', '/s', 1, 1)])).toEqual([]);
    expect(seedBars('degrade', [row('throughput', '/s', 1, 1)])).toEqual([]);
  });
});
