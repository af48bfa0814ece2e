/** The comparison as one self-contained HTML page with SVG bar charts (no scripts, no CDN). */
import { belowResolution, formatDelta, type Row, verdict, verdictNote } from './rows.js';
import type { BenchResult } from '../lib/result.js';
import { latencyCurve } from './latency-curve.js';
import { percentilePlot } from './percentile-plot.js';

/** Text as HTML: the four characters that could end a tag or an attribute, escaped. */
export const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
const COLORS = { B: '#4e79a7', A: '#e15759' };

/** 480 250, 44.73, 0.531: readable at a glance. */
const num = (v: number) =>
  Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US').replace(/,/g, '\u2009') : v.toPrecision(4);

/** Bars (B, A) per metric on the metric's own scale, each with a whisker from min to max across rounds. */
function chart(title: string, rows: Row[]): string {
  if (rows.length === 0) return '';
  const width = 640;
  const rowH = 56;
  const left = 170;
  const height = rows.length * rowH + 40;
  const parts = [
    `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">`,
  ];
  rows.forEach((r, i) => {
    const max = Math.max(r.a.max, r.b.max) || 1;
    const x = (v: number) => left + (v / max) * (width - left - 110);
    const y0 = 30 + i * rowH;
    parts.push(`<text x="0" y="${y0 + 22}" font-size="12">${esc(`${r.metric} (${r.unit})`)}</text>`);
    const unresolved = belowResolution(r);
    (['B', 'A'] as const).forEach((p, j) => {
      const s = p === 'B' ? r.b : r.a;
      const y = y0 + j * 22;
      // a figure below the measurement's resolution is drawn hollow and labelled so
      const below = unresolved.includes(p);
      const fill = below ? `fill="none" stroke="${COLORS[p]}" stroke-dasharray="3 2"` : `fill="${COLORS[p]}"`;
      parts.push(
        `<rect x="${left}" y="${y}" width="${Math.max(1, x(s.median) - left)}" height="18" ${fill}/>`,
        `<line x1="${x(s.min)}" x2="${x(s.max)}" y1="${y + 9}" y2="${y + 9}" stroke="#222" stroke-width="1.5"/>`,
        `<text x="${x(s.max) + 6}" y="${y + 14}" font-size="11">${p} ${num(s.median)}${below ? ' (below resolution)' : ''}</text>`,
      );
    });
  });
  parts.push('</svg>');
  return `<h2>${esc(title)}</h2>${parts.join('')}`;
}

/** A line under the table for each row without a verdict: which figure is below which resolution. */
function unresolvedNotes(rows: Row[]): string {
  const notes = rows
    .filter((r) => verdict(r) === 'unresolved')
    .map((r) => `<p class="unresolved">* ${esc(r.metric)}: ${esc(verdictNote(r).trim().slice(1, -1))}.</p>`);
  return notes.join('\n');
}

export function renderHtml(scenario: string, rows: Row[], bRuns: BenchResult[], aRuns: BenchResult[]): string {
  const pick = (...names: string[]) => rows.filter((r) => names.includes(r.metric));
  const first = bRuns[0] as BenchResult;
  const table = rows
    .map(
      (r) =>
        `<tr><td>${esc(r.metric)} (${esc(r.unit)})</td><td>${num(r.b.median)}</td><td>${num(r.a.median)}</td>` +
        `<td class="${verdict(r)}"${verdict(r) === 'unresolved' ? ` title="${esc(verdictNote(r).trim().slice(1, -1))}"` : ''}>` +
        `${formatDelta(r)}${verdict(r) === 'unresolved' ? ' *' : ''}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(scenario)}: B vs A</title>
<style>body{font:14px system-ui,sans-serif;max-width:760px;margin:2em auto;color:#222}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}.better{color:#1a7f37}.worse{color:#c62828}.unresolved{color:#777}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}code{white-space:pre-wrap;word-break:break-all}</style></head><body>
<h1>${esc(scenario)}: Profile B (node:http + ws) vs Profile A (NestJS)</h1>
<p>${bRuns.length} rounds each (B, A alternating), ${esc(first.startedAt.slice(0, 10))}, ${first.machine.cpus} CPUs (${esc(first.machine.cpuModel)}), ${first.machine.memoryGiB} GiB, Node ${esc(first.machine.node)}${first.provenance ? `, commit ${esc(first.provenance.commit ?? 'unknown')}${first.provenance.dirty ? ' (with uncommitted changes)' : ''}` : ''}.
Bars: median across rounds, each metric on its own scale; whiskers: min to max.</p>
<p class="legend"><span style="background:${COLORS.B}"></span>Profile B<span style="background:${COLORS.A}"></span>Profile A</p>
<table><tr><th>metric</th><th>B</th><th>A</th><th>A vs B</th></tr>${table}</table>
${unresolvedNotes(rows)}
${chart('Latency percentiles', pick('latency p50', 'latency p95', 'latency p99'))}
${percentilePlot([
  { name: 'Profile B', color: COLORS.B, runs: bRuns },
  { name: 'Profile A', color: COLORS.A, runs: aRuns },
])}
${latencyCurve([
  { name: 'Profile B', color: COLORS.B, runs: bRuns },
  { name: 'Profile A', color: COLORS.A, runs: aRuns },
])}
${chart('Throughput', pick('throughput'))}
${chart('Server cost', pick('server CPU per unit', 'server CPU'))}
${chart('Memory', pick('memory per connection', 'server RSS peak'))}
<p>Settings: <code>${esc(JSON.stringify(first.settings))}</code>. Every round's figures: report.md, runs.json.</p>
<p>${aRuns.length + bRuns.length} runs.</p>
</body></html>
`;
}
