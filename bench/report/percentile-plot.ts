/**
 * The latency distribution as HDR plots draw it: latency against percentile, the percentile axis
 * spaced by 1 / (1 - p), so that 90%, 99%, 99.9% ... are equally far apart and the tail gets the
 * room; latency on a log scale. One line per round of each profile. An SVG, no scripts.
 */
import type { BenchResult } from '../lib/result.js';
import { logLatencyAxis } from './log-latency-axis.js';

const tailX = (p: number) => Math.log10(1 / (1 - Math.min(p, 99.999) / 100));

/** The chart, or '' when no run kept its distribution (runs from before the harness kept it). */
export function percentilePlot(series: { name: string; color: string; runs: BenchResult[] }[]): string {
  const lines = series.flatMap((s) =>
    s.runs
      .map((r) => (r.latency.percentiles ?? []).filter(([p, ms]) => p < 100 && ms > 0))
      .filter((points) => points.length > 1)
      .map((points) => ({ color: s.color, points })),
  );
  if (lines.length === 0) return '';
  const [width, height, left, bottom, top] = [680, 320, 60, 40, 16];
  const all = lines.flatMap((l) => l.points);
  const ys = all.map(([, ms]) => ms);
  const x1 = Math.max(...all.map(([p]) => tailX(p)));
  const x = (p: number) => left + (tailX(p) / (x1 || 1)) * (width - left - 20);
  const { y, grid } = logLatencyAxis(ys, { height, top, bottom, left, right: width - 20 });
  const parts = [
    `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="latency by percentile">`,
  ];
  parts.push(...grid);
  for (const p of [0, 90, 99, 99.9, 99.99, 99.999].filter((q) => tailX(q) <= x1 + 1e-9)) {
    parts.push(`<text x="${x(p)}" y="${height - bottom + 16}" font-size="10" text-anchor="middle">${p}%</text>`);
  }
  parts.push(`<text x="${(left + width) / 2}" y="${height - 6}" font-size="11" text-anchor="middle">percentile</text>`);
  for (const l of lines) {
    const points = l.points.map(([p, ms]) => `${x(p).toFixed(1)},${y(ms).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${l.color}" stroke-width="1.5"/>`);
  }
  parts.push('</svg>');
  const legend = series.map((s) => `<span style="color:${s.color}">${s.name}</span>`).join(' &nbsp; ');
  return `<h2>Latency by percentile (every round; log scales, HDR style)</h2><p>${legend}</p>${parts.join('')}`;
}
