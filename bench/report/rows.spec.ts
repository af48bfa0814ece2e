import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../lib/result.js';
import { compareRows, formatDelta, verdict, verdictNote } from './rows.js';

const run = (fallbacks: number, falseAllowPct: number) =>
  ({
    throughputPerSec: 50_000,
    latency: { count: 1, meanMs: 1, p50Ms: 1, p95Ms: 1, p99Ms: 1, maxMs: 1 },
    details: { fallbackWhileRedisHealthy: fallbacks, accuracy: { falseAllowPct }, redisRoundTrip: null },
  }) as unknown as BenchResult;

describe('compareRows on limiter results', () => {
  it('has no ratio where B is 0 and A is not, and judges it by the sign', () => {
    const rows = compareRows([run(0, 0.003)], [run(419, 0.018)]);
    const fallback = rows.find((r) => r.metric === 'fallback while Redis healthy');
    expect(fallback?.deltaPct).toBeNull();
    expect(formatDelta(fallback as never)).toBe('B is 0');
    expect(verdict(fallback as never)).toBe('worse');
    const allows = rows.find((r) => r.metric === 'false allows');
    expect(formatDelta(allows as never)).toBe('+500.0%');
    expect(rows.find((r) => r.metric === 'Redis round trip mean')).toBeUndefined(); // null in both: no row
  });

  it('judges no row that only explains the others', () => {
    const explained = {
      ...run(0, 0),
      details: { redisRoundTrip: { meanMs: 3, meanDecisionLatencyMs: 6, shareOfDecisionLatencyPct: 50 } },
    } as unknown as BenchResult;
    const rows = compareRows(
      [explained],
      [{ ...explained, details: { redisRoundTrip: { shareOfDecisionLatencyPct: 75 } } } as never],
    );
    const share = rows.find((r) => r.metric === 'Redis share of decision latency');
    expect(formatDelta(share as never)).toBe('+50.0%');
    expect(verdict(share as never)).toBe('unjudged');
    expect(verdictNote(share as never)).toBe('');
  });

  it('calls two zeros the same', () => {
    const [fallback] = compareRows([run(0, 0)], [run(0, 0)]).filter((r) => r.metric === 'fallback while Redis healthy');
    expect(fallback?.deltaPct).toBe(0);
    expect(verdict(fallback as never)).toBe('same');
  });
});
