import { describe, expect, it } from 'vitest';
import { ledgerRows, variantRows } from './ledger.js';
import type { BenchResult } from './lib/result.js';

const run = (cpu: number, p95 = 1) =>
  ({
    latency: { p95Ms: p95 },
    server: { cpuMicrosPerUnit: cpu, rssBytesIdle: 2 ** 20, rssBytesPeak: 2 * 2 ** 20 },
  }) as unknown as BenchResult;

describe('ledgerRows', () => {
  it("gives each rung's median and its increment over the rung below; the increments add up to A - B", () => {
    const ladder = [
      { target: 'b', adds: 'floor' },
      { target: 'x', adds: 'one layer' },
      { target: 'a', adds: 'the rest' },
    ];
    const rows = ledgerRows(ladder, [
      [run(5), run(4), run(6)],
      [run(9), run(8), run(12)],
      [run(11), run(10), run(20)],
    ]);
    expect(rows.map((r) => r.cpuMicrosPerUnit)).toEqual([
      { median: 5, min: 4, max: 6 },
      { median: 9, min: 8, max: 12 },
      { median: 11, min: 10, max: 20 },
    ]);
    expect(rows.map((r) => r.incrementMicros)).toEqual([5, 4, 2]);
    expect(rows[1]?.incrementMicros + (rows[2]?.incrementMicros as number)).toBe(11 - 5);
    expect(rows[0]?.rssIdleMiB.median).toBe(1);
    expect(rows[0]?.rssPeakMiB.median).toBe(2);
  });
});

describe('variantRows', () => {
  it("sets each variant against the median of the ladder's rung it varies, not against the row before it", () => {
    const ladder = [
      { target: 'b', adds: 'floor' },
      { target: 'a', adds: 'the rest' },
    ];
    const rows = ledgerRows(ladder, [[run(5)], [run(11)]]);
    const variants = [
      { target: 'b', against: 'b', nodeFlags: ['--x'], adds: 'b, flagged' },
      { target: 'a', against: 'a', nodeFlags: ['--x'], adds: 'a, flagged' },
    ];
    const varied = variantRows(variants, [[run(6)], [run(14)]], ladder, rows);
    expect(varied.map((r) => r.incrementMicros)).toEqual([1, 3]);
    expect(varied[1]).toMatchObject({ target: 'a', nodeFlags: ['--x'] });
  });
});
