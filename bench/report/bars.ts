/**
 * The seed's bars for the limiter (normal and hotkey): 50 k checks/s, p95 below 20 ms, false
 * allows and false denies at most 0.1% each; each profile's median held against them.
 */
import { fmt, type Row } from './rows.js';

interface Bar {
  metric: string;
  text: string;
  met: (median: number) => boolean;
}

const LIMITER_BARS: Bar[] = [
  { metric: 'throughput', text: 'at least 50 000 checks/s', met: (v) => v >= 50_000 },
  { metric: 'latency p95', text: 'below 20 ms', met: (v) => v < 20 },
  { metric: 'false allows', text: 'at most 0.1%', met: (v) => v <= 0.1 },
  { metric: 'false denies', text: 'at most 0.1%', met: (v) => v <= 0.1 },
];

export const SCENARIOS_WITH_BARS = ['normal', 'hotkey'];

/** Markdown lines: the bars, and whether each profile's median meets each; none for other scenarios. */
export function seedBars(scenario: string, rows: Row[]): string[] {
  if (!SCENARIOS_WITH_BARS.includes(scenario)) return [];
  const lines = ["The seed's bars for the limiter (medians):", '', '| bar | B | A |', '|---|---|---|'];
  for (const bar of LIMITER_BARS) {
    const row = rows.find((r) => r.metric === bar.metric);
    if (!row) continue;
    const cell = (v: number) => `${fmt(v)} ${row.unit}: ${bar.met(v) ? 'met' : '**not met**'}`;
    lines.push(`| ${bar.metric} ${bar.text} | ${cell(row.b.median)} | ${cell(row.a.median)} |`);
  }
  return [...lines, ''];
}
