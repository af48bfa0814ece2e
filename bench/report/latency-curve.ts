/**
 * The chart people look at first for `capacity`: p95 and p99 latency against the offered load,
 * every round of every profile, both axes on log scales (the load doubles each step). An SVG for
 * the HTML report, no scripts.
 */
import type { BenchResult } from '../lib/result.js';
import { logLatencyAxis } from './log-latency-axis.js';

interface Step {
  offeredDeliveriesPerSec: number;
  p95Ms: number;
  p99Ms: number;
}

const stepsOf = (r: BenchResult): Step[] =>
  Array.isArray(r.details.steps)
    ? (r.details.steps as Step[])
        .filter((s) => s.offeredDeliveriesPerSec > 0 && s.p95Ms > 0 && s.p99Ms > 0)
        // the search halves back after a step that failed: draw them in order of load
        .sort((a, b) => a.offeredDeliveriesPerSec - b.offeredDeliveriesPerSec)
    : [];

const label = (v: number) => (v >= 1000 ? `${v / 1000} k` : String(v));

/** The chart, or '' when the runs have no steps (every scenario but capacity). */
export function latencyCurve(series: { name: string; color: string; runs: BenchResult[] }[]): string {
  const all = series.flatMap((s) => s.runs.flatMap(stepsOf));
  if (all.length === 0) return '';
  const [width, height, left, bottom, top] = [680, 360, 60, 40, 16];
  const xs = all.map((s) => s.offeredDeliveriesPerSec);
  const ys = all.flatMap((s) => [s.p95Ms, s.p99Ms]);
  const [x0, x1] = [Math.log2(Math.min(...xs)), Math.log2(Math.max(...xs))];
  const x = (v: number) => left + ((Math.log2(v) - x0) / (x1 - x0 || 1)) * (width - left - 20);
  const { y, grid } = logLatencyAxis(ys, { height, top, bottom, left, right: width - 20 });
  const parts = [
    `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="latency against offered load">`,
  ];
  parts.push(...grid);
  // ticks at the doublings from the lowest load (the steps' own loads differ run to run by a few)
  const lowest = Math.min(...xs);
  for (let v = lowest; v <= Math.max(...xs) * 1.01; v *= 2) {
    parts.push(`<text x="${x(v)}" y="${height - bottom + 16}" font-size="10" text-anchor="middle">${label(v)}</text>`);
  }
  parts.push(
    `<text x="${(left + width) / 2}" y="${height - 6}" font-size="11" text-anchor="middle">offered deliveries/s</text>`,
  );
  for (const s of series) {
    for (const run of s.runs) {
      const steps = stepsOf(run);
      for (const [key, dash] of [
        ['p95Ms', ''],
        ['p99Ms', ' stroke-dasharray="5 3"'],
      ] as const) {
        const points = steps.map((st) => `${x(st.offeredDeliveriesPerSec).toFixed(1)},${y(st[key]).toFixed(1)}`);
        parts.push(
          `<polyline points="${points.join(' ')}" fill="none" stroke="${s.color}" stroke-width="1.5"${dash}/>`,
        );
      }
    }
  }
  parts.push('</svg>');
  const legend = series
    .map((s) => `<span style="color:${s.color}">${s.name}: p95 solid, p99 dashed</span>`)
    .join(' &nbsp; ');
  return `<h2>Latency against offered load (every round; log scales)</h2><p>${legend}</p>${parts.join('')}`;
}
