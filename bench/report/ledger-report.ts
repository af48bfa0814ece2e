/** The ledger (bench/ledger.ts) as Markdown, and as HTML with a waterfall of the CPU per check or delivery. */
import type { BenchResult } from '../lib/result.js';
import { esc } from './html.js';
import type { Spread } from './rows.js';

export interface LedgerRow {
  target: string;
  adds: string;
  /** A variant's Node flags. */
  nodeFlags?: string[];
  cpuMicrosPerUnit: Spread;
  /** This rung's median CPU per unit minus the rung below's (µs); B's is its own. */
  incrementMicros: number;
  p95Ms: Spread;
  rssIdleMiB: Spread;
  rssPeakMiB: Spread;
}

const f = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));
const s = (x: Spread) => `${f(x.median)} (${f(x.min)}..${f(x.max)})`;
/** What the ledger's CPU is per: a decision of the limiter, a chat message delivered to one member. */
const unitOf = (kind: string) => (kind === 'chat' ? 'delivery' : 'check');

/** The HTTP platform a started A ran on: the HTTP_PLATFORM it was given, or its default. */
const platformOf = (run: BenchResult | undefined) =>
  run?.provenance?.serverSettings?.HTTP_PLATFORM ?? 'express (the default)';

function header(kind: string, rows: LedgerRow[], runs: BenchResult[][]): string[] {
  const first = runs[0]?.[0] as BenchResult;
  const b = rows[0] as LedgerRow;
  const a = rows[rows.length - 1] as LedgerRow;
  const sum = rows.slice(1).reduce((t, r) => t + r.incrementMicros, 0);
  return [
    `# Ledger (${kind}): where Profile A's CPU per ${unitOf(kind)} goes, rung by rung from B to A`,
    '',
    `${runs[0]?.length ?? 0} rounds, each round every rung in ladder order; ${first.startedAt.slice(0, 10)}; ` +
      `${first.machine.cpus} CPUs (${first.machine.cpuModel}), Node ${first.machine.node}; ` +
      `commit \`${first.provenance?.commit ?? 'unknown'}\`${first.provenance?.dirty ? ' (with uncommitted changes)' : ''}.`,
    '',
    `Load (the same for every rung): \`${JSON.stringify(first.settings)}\`. ` +
      `Profile A's HTTP platform, and its rungs': ${platformOf(runs[runs.length - 1]?.[0])}.`,
    '',
    `A - B: ${f(a.cpuMicrosPerUnit.median - b.cpuMicrosPerUnit.median)} µs per ${unitOf(kind)}; the increments below add up to ` +
      `${f(sum)} µs. Each increment is a rung's median minus the median of the rung below, so they add up to A - B ` +
      'by construction; what they cannot show is an interaction between layers, and each increment carries the ' +
      "spread of two rungs' medians (the ranges).",
    '',
  ];
}

/** A variant's name in the tables: its target and its Node flags. */
const variantName = (r: LedgerRow) => [r.target, ...(r.nodeFlags ?? [])].join(' ');

const signed = (n: number) => (n >= 0 ? '+' : '') + f(n);

/** The columns of the ladder's table, or of the variants' (whose increment is against the rung they vary). */
const headings = (kind: string, variants: boolean) => [
  variants ? 'variant' : 'rung',
  variants ? 'what' : 'adds',
  `CPU per ${unitOf(kind)} (µs)`,
  variants ? 'against its rung (µs)' : 'increment (µs)',
  'p95 (ms)',
  'RSS idle (MiB)',
  'RSS peak (MiB)',
];

/** A row: its name, and its other cells (the floor, the ladder's first row, has no increment). */
type Cells = [name: string, cells: string[]];
const rowCells = (r: LedgerRow, name: string, withIncrement: boolean): Cells => [
  name,
  [
    r.adds,
    s(r.cpuMicrosPerUnit),
    withIncrement ? signed(r.incrementMicros) : '',
    s(r.p95Ms),
    s(r.rssIdleMiB),
    s(r.rssPeakMiB),
  ],
];
const ladderCells = (rows: LedgerRow[]) => rows.map((r, i) => rowCells(r, r.target, i > 0));
const variantCells = (rows: LedgerRow[]) => rows.map((r) => rowCells(r, variantName(r), true));

function markdownTable(heads: string[], body: Cells[]): string[] {
  return [
    `| ${heads.join(' | ')} |`,
    `|${'---|'.repeat(heads.length)}`,
    ...body.map(([name, cells]) => `| \`${name}\` | ${cells.join(' | ')} |`),
  ];
}

function htmlTable(heads: string[], body: Cells[]): string {
  const rows = body.map(
    ([name, cells]) => `<tr><td><code>${esc(name)}</code></td>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`,
  );
  return `<table><tr>${heads.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.join('')}</table>`;
}

const VARIANTS_INTRO =
  'Variants (not layers of A, each set against the ladder rung it varies, the same rounds): the ' +
  "runtime's own settings, and other compositions of A.";

export function renderLedgerMarkdown(
  kind: string,
  rows: LedgerRow[],
  runs: BenchResult[][],
  profiled: BenchResult,
  variants: LedgerRow[] = [],
): string {
  const lines = [...header(kind, rows, runs), ...markdownTable(headings(kind, false), ladderCells(rows)), ''];
  if (variants.length > 0) {
    lines.push(VARIANTS_INTRO, '', ...markdownTable(headings(kind, true), variantCells(variants)), '');
  }
  const p = profiled.cpuProfile;
  if (p) {
    lines.push(
      `## Profile A under \`node --cpu-prof\`, the same load (${p.covers}, ${p.busyMs} ms busy)`,
      '',
      `Profile: \`${p.file}\` (open it in Chrome DevTools or speedscope). ${coverage(profiled)} Self time by package:`,
      '',
      '| package | self time (ms) | share |',
      '|---|---|---|',
      ...p.byPackage.map((x) => `| ${x.name} | ${x.selfMs} | ${x.pct.toFixed(1)}% |`),
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * What the profile saw of the process's CPU: it samples the main thread, so V8's helper threads
 * (concurrent GC) and the kernel's work for the sockets are in the process's CPU time only.
 */
function coverage(profiled: BenchResult): string {
  const p = profiled.cpuProfile;
  const perUnit = profiled.server?.cpuMicrosPerUnit;
  if (!p || typeof perUnit !== 'number') return '';
  const processMs = (perUnit * profiled.total) / 1000;
  return (
    `The profile samples the main thread: ${p.busyMs} ms busy, of the ${Math.round(processMs)} ms of CPU the process ` +
    "used in the phase; the rest is V8's helper threads (concurrent GC) and the kernel's work for the sockets, which " +
    'no JavaScript profile sees. The shares below are of the sampled time.'
  );
}

/** Bars from the running total before each rung to after it: B's whole cost, then each increment. */
function waterfall(rows: LedgerRow[]): string {
  const width = 720;
  const left = 190;
  const rowH = 30;
  const totals = rows.map((r) => r.cpuMicrosPerUnit.median);
  const max = Math.max(...totals, ...rows.map((r) => r.cpuMicrosPerUnit.max)) || 1;
  const x = (v: number) => left + (v / max) * (width - left - 80);
  const parts = [
    `<svg viewBox="0 0 ${width} ${rows.length * rowH + 20}" width="${width}" role="img" aria-label="waterfall">`,
  ];
  let before = 0;
  rows.forEach((r, i) => {
    const after = r.cpuMicrosPerUnit.median;
    const [from, to] = i === 0 ? [0, after] : [Math.min(before, after), Math.max(before, after)];
    const y = 10 + i * rowH;
    const color = i === 0 ? '#4e79a7' : after >= before ? '#e15759' : '#59a14f';
    parts.push(
      `<text x="0" y="${y + 15}" font-size="12">${esc(r.target)}</text>`,
      `<rect x="${x(from)}" y="${y}" width="${Math.max(1, x(to) - x(from))}" height="20" fill="${color}"/>`,
      `<line x1="${x(r.cpuMicrosPerUnit.min)}" x2="${x(r.cpuMicrosPerUnit.max)}" y1="${y + 10}" y2="${y + 10}" stroke="#222"/>`,
      `<text x="${x(Math.max(to, r.cpuMicrosPerUnit.max)) + 6}" y="${y + 15}" font-size="11">${i === 0 ? f(after) : signed(after - before)} µs</text>`,
    );
    before = after;
  });
  parts.push('</svg>');
  return parts.join('');
}

export function renderLedgerHtml(
  kind: string,
  rows: LedgerRow[],
  runs: BenchResult[][],
  profiled: BenchResult,
  variants: LedgerRow[] = [],
): string {
  const [title, , ...intro] = header(kind, rows, runs);
  const variantTable =
    variants.length === 0
      ? ''
      : `<p>${esc(VARIANTS_INTRO)}</p>${htmlTable(headings(kind, true), variantCells(variants))}`;
  const p = profiled.cpuProfile;
  const profile = p
    ? `<h2>Profile A under node --cpu-prof (${esc(p.covers)}, ${p.busyMs} ms busy)</h2><p><code>${esc(p.file)}</code></p>` +
      `<p>${esc(coverage(profiled))}</p>` +
      `<table><tr><th>package</th><th>self time (ms)</th><th>share</th></tr>${p.byPackage
        .map((x) => `<tr><td>${esc(x.name)}</td><td>${x.selfMs}</td><td>${x.pct.toFixed(1)}%</td></tr>`)
        .join('')}</table>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title?.slice(2) ?? '')}</title>
<style>body{font:14px system-ui,sans-serif;max-width:900px;margin:2em auto;color:#222}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:nth-child(-n+2){text-align:left}code{white-space:pre-wrap;word-break:break-all}</style></head><body>
<h1>${esc(title?.slice(2) ?? '')}</h1>
${intro
  .filter((l) => l !== '')
  .map((l) => `<p>${esc(l.replace(/`/g, ''))}</p>`)
  .join('\n')}
<h2>CPU per ${unitOf(kind)}, rung by rung (median; whiskers: min to max across rounds)</h2>
${waterfall(rows)}
${htmlTable(headings(kind, false), ladderCells(rows))}
${variantTable}
${profile}
</body></html>
`;
}
