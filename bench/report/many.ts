/**
 * A comparison of any number of targets (bench:compare --targets b,a,ledger:pipe,URL): per metric
 * each target's median and range across rounds, and each target's delta against the first, with
 * the verdicts of the two-target report (rows.ts), as Markdown and as an HTML table.
 */
import { type BenchResult, formatResult } from '../lib/result.js';
import { esc } from './html.js';
import { latencyCurve } from './latency-curve.js';
import { percentilePlot } from './percentile-plot.js';
import { compareRows, fmt, formatDelta, type Row, type Spread, verdictNote } from './rows.js';

export interface ManyRow {
  metric: string;
  unit: string;
  /** The first target's figure (the reference). */
  first: Spread;
  /** Each other target's comparison with the first (b: the first, a: that target); absent where it has no figure. */
  others: (Row | undefined)[];
}

/** The table: one row per metric that the first target and at least one other have. */
export function manyRows(runs: BenchResult[][]): ManyRow[] {
  const [first = [], ...rest] = runs;
  const pairs = rest.map((other) => compareRows(first, other));
  const metrics = new Map<string, ManyRow>();
  pairs.forEach((rows, i) => {
    for (const row of rows) {
      let m = metrics.get(row.metric);
      if (!m) {
        m = { metric: row.metric, unit: row.unit, first: row.b, others: rest.map(() => undefined) };
        metrics.set(row.metric, m);
      }
      m.others[i] = row;
    }
  });
  return [...metrics.values()];
}

const cell = (s: Spread) => `${fmt(s.median)} (${fmt(s.min)}..${fmt(s.max)})`;

export function renderManyMarkdown(
  scenario: string,
  targets: string[],
  rows: ManyRow[],
  runs: BenchResult[][],
): string {
  const first = runs[0]?.[0] as BenchResult;
  const lines = [
    `# ${scenario}: ${targets.join(', ')}`,
    '',
    `${runs[0]?.length ?? 0} rounds, each round every target in this order; ${first.startedAt.slice(0, 10)}; ` +
      `${first.machine.cpus} CPUs (${first.machine.cpuModel}), Node ${first.machine.node}; ` +
      `commit \`${first.provenance?.commit ?? 'unknown'}\`${first.provenance?.dirty ? ' (with uncommitted changes)' : ''}.`,
    '',
    `Settings: \`${JSON.stringify(commonSettings(runs))}\`${perTarget(runs)}. Medians (min..max across rounds); each target against \`${targets[0]}\`.`,
    '',
    `| metric | ${targets.map((t) => `\`${t}\``).join(' | ')} |`,
    `|---|${targets.map(() => '---').join('|')}|`,
    ...rows.map(
      (r) =>
        `| ${r.metric} (${r.unit}) | ${cell(r.first)} | ${r.others
          .map((o) => (o ? `${cell(o.a)}: ${formatDelta(o)}${verdictNote(o)}` : 'n/a'))
          .join(' | ')} |`,
    ),
    '',
    '## Every round',
    '',
    ...runs.flatMap((targetRuns, t) =>
      targetRuns.flatMap((r, i) => [`### \`${targets[t]}\`, round ${i + 1}`, '', '```', formatResult(r), '```', '']),
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** The settings of the first target's first run, less those that differ between the targets. */
function commonSettings(runs: BenchResult[][]): Record<string, unknown> {
  const differing = new Set(settingsByTarget(runs));
  return Object.fromEntries(Object.entries(runs[0]?.[0]?.settings ?? {}).filter(([k]) => !differing.has(k)));
}

/** The settings that differ between the targets (e.g. the protocol of bench:compare --protocols). */
function settingsByTarget(runs: BenchResult[][]): string[] {
  const firsts = runs.map((r) => r[0]?.settings ?? {});
  const keys = new Set(firsts.flatMap((s) => Object.keys(s)));
  return [...keys].filter((k) => new Set(firsts.map((s) => JSON.stringify(s[k]))).size > 1);
}

const perTarget = (runs: BenchResult[][]) => {
  const keys = settingsByTarget(runs);
  return keys.length === 0 ? '' : `; by target: ${keys.map((k) => `\`${k}\``).join(', ')}`;
};

/** One color per target, in order (Tableau 10, B's and A's blue and red first as in the two-target report). */
const PALETTE = [
  '#4e79a7',
  '#e15759',
  '#59a14f',
  '#f28e2b',
  '#76b7b2',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

export function renderManyHtml(scenario: string, targets: string[], rows: ManyRow[], runs: BenchResult[][]): string {
  const first = runs[0]?.[0] as BenchResult;
  const series = targets.map((name, i) => ({
    name,
    color: PALETTE[i % PALETTE.length] as string,
    runs: runs[i] ?? [],
  }));
  const legend = series
    .map(
      (s) =>
        `<span style="display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;background:${s.color}"></span>${esc(s.name)}`,
    )
    .join('');
  const body = rows
    .map(
      (r) =>
        `<tr><td>${esc(`${r.metric} (${r.unit})`)}</td><td>${esc(cell(r.first))}</td>${r.others
          .map((o) =>
            o ? `<td>${esc(cell(o.a))}<br><small>${esc(formatDelta(o) + verdictNote(o))}</small></td>` : '<td>n/a</td>',
          )
          .join('')}</tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(scenario)}: ${esc(targets.join(', '))}</title>
<style>body{font:14px system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}</style></head><body>
<h1>${esc(scenario)}: ${esc(targets.join(', '))}</h1>
<p>${runs[0]?.length ?? 0} rounds, each round every target in this order; ${esc(first.startedAt.slice(0, 10))}; commit ${esc(first.provenance?.commit ?? 'unknown')}. Medians (min..max across rounds); each target against ${esc(targets[0] ?? '')}. Every round: report.md, runs.json.</p>
<table><tr><th>metric</th>${targets.map((t) => `<th>${esc(t)}</th>`).join('')}</tr>${body}</table>
<p>${legend}</p>
${percentilePlot(series)}
${latencyCurve(series)}
</body></html>
`;
}
