/**
 * bench:compare: Profile B and Profile A in turn (B, A, B, A, ...), the same scenario and load
 * each round, then a report of the B vs A delta with the spread across rounds.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatResult, type BenchResult, memoryPerConnectionResolution } from './lib/result.js';
import { renderHtml } from './report/html.js';
import { type Overrides, runScenario } from './run.js';

/** One figure of a profile across rounds. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface Row {
  metric: string;
  unit: string;
  /** Whether a larger value is better (for the sign of the verdict). */
  higherIsBetter: boolean;
  b: Spread;
  a: Spread;
  /** (A - B) / B in %, from the medians. */
  deltaPct: number;
  /** The smallest value the measurement resolves, in the row's unit, when it has such a floor. */
  resolution?: number;
}

const spread = (values: number[]): Spread => {
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return {
    median: s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2,
    min: s[0] as number,
    max: s[s.length - 1] as number,
  };
};

interface MetricDef {
  metric: string;
  unit: string;
  higherIsBetter: boolean;
  read: (r: BenchResult) => number | undefined;
  /** The measurement's resolution in a run, in `unit`. */
  resolution?: (r: BenchResult) => number | undefined;
}

const kib = (bytes: number | undefined) => (bytes === undefined ? undefined : bytes / 1024);

const METRICS: MetricDef[] = [
  { metric: 'throughput', unit: '/s', higherIsBetter: true, read: (r) => r.throughputPerSec },
  { metric: 'latency mean', unit: 'ms', higherIsBetter: false, read: (r) => r.latency.meanMs },
  { metric: 'latency p50', unit: 'ms', higherIsBetter: false, read: (r) => r.latency.p50Ms },
  { metric: 'latency p95', unit: 'ms', higherIsBetter: false, read: (r) => r.latency.p95Ms },
  { metric: 'latency p99', unit: 'ms', higherIsBetter: false, read: (r) => r.latency.p99Ms },
  { metric: 'latency max', unit: 'ms', higherIsBetter: false, read: (r) => r.latency.maxMs },
  { metric: 'server CPU per unit', unit: 'µs', higherIsBetter: false, read: (r) => r.server?.cpuMicrosPerUnit },
  { metric: 'server CPU', unit: '% of a core', higherIsBetter: false, read: (r) => r.server?.cpuPct },
  {
    metric: 'memory per connection',
    unit: 'KiB',
    higherIsBetter: false,
    read: (r) => kib(r.server?.memoryPerConnectionBytes),
    resolution: (r) => kib(memoryPerConnectionResolution(r)),
  },
  { metric: 'server RSS peak', unit: 'MiB', higherIsBetter: false, read: (r) => (r.server ? r.server.rssBytesPeak / 2 ** 20 : undefined) },
  { metric: 'connection success', unit: '%', higherIsBetter: true, read: (r) => r.connections?.successPct },
  { metric: 'drops', unit: '%', higherIsBetter: false, read: (r) => r.drops?.dropPct },
];

export function compareRows(bRuns: BenchResult[], aRuns: BenchResult[]): Row[] {
  const rows: Row[] = [];
  for (const m of METRICS) {
    const b = bRuns.map(m.read).filter((v): v is number => v !== undefined);
    const a = aRuns.map(m.read).filter((v): v is number => v !== undefined);
    if (b.length === 0 || a.length === 0) continue;
    const sb = spread(b);
    const sa = spread(a);
    const resolutions = [...bRuns, ...aRuns].map((r) => m.resolution?.(r)).filter((v): v is number => v !== undefined);
    rows.push({
      metric: m.metric,
      unit: m.unit,
      higherIsBetter: m.higherIsBetter,
      b: sb,
      a: sa,
      deltaPct: sb.median === 0 ? 0 : ((sa.median - sb.median) / sb.median) * 100,
      ...(resolutions.length > 0 ? { resolution: Math.max(...resolutions) } : {}),
    });
  }
  return rows;
}

/** The profiles whose median on this row is below the measurement's resolution. */
export function belowResolution(r: Row): ('B' | 'A')[] {
  if (r.resolution === undefined) return [];
  return (['B', 'A'] as const).filter((p) => (p === 'B' ? r.b : r.a).median < (r.resolution as number));
}

/**
 * Whether A is better or worse than B on this row: differences under 0.5% are the same, and a row
 * where either median is below the measurement's resolution has no verdict (`unresolved`).
 */
export function verdict(r: Row): 'better' | 'worse' | 'same' | 'unresolved' {
  if (belowResolution(r).length > 0) return 'unresolved';
  if (Math.abs(r.deltaPct) < 0.5) return 'same';
  return (r.deltaPct > 0) === r.higherIsBetter ? 'better' : 'worse';
}

/** The verdict as the reports write it after the delta. */
export function verdictNote(r: Row): string {
  const v = verdict(r);
  if (v === 'same') return '';
  if (v === 'better' || v === 'worse') return ` (${v})`;
  return ` (${belowResolution(r).join(' and ')} below the resolution of ${fmt(r.resolution as number)} ${r.unit}: no verdict)`;
}

export const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(3));

export function renderMarkdown(scenario: string, rows: Row[], bRuns: BenchResult[], aRuns: BenchResult[]): string {
  const first = bRuns[0] as BenchResult;
  const lines = [
    `# ${scenario}: Profile B (node:http + ws) vs Profile A (NestJS)`,
    '',
    `${bRuns.length} rounds each, alternating B, A, B, A ...; ${first.startedAt.slice(0, 10)}; ${first.machine.cpus} CPUs (${first.machine.cpuModel}), ` +
      `${first.machine.memoryGiB} GiB, Node ${first.machine.node}; server ${first.machine.pinned ? 'pinned to CPU 0, load generator to CPU 1' : 'not pinned'}.`,
    '',
    `Settings: \`${JSON.stringify(first.settings)}\``,
    '',
    '| metric | B median (min..max) | A median (min..max) | A vs B |',
    '|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.metric} (${r.unit}) | ${fmt(r.b.median)} (${fmt(r.b.min)}..${fmt(r.b.max)}) | ${fmt(r.a.median)} (${fmt(r.a.min)}..${fmt(r.a.max)}) | ${r.deltaPct >= 0 ? '+' : ''}${r.deltaPct.toFixed(1)}%${verdictNote(r)} |`,
    ),
    '',
    '## Every round',
    '',
    ...[...bRuns.map((r, i) => ['B', i, r] as const), ...aRuns.map((r, i) => ['A', i, r] as const)].flatMap(([p, i, r]) => [
      `### Profile ${p}, round ${i + 1}`,
      '',
      '```',
      formatResult(r),
      '```',
      '',
    ]),
  ];
  return lines.join('\n');
}

/** Writes runs.json, report.md and report.html of a comparison into `dir`; returns its rows. */
function writeReports(dir: string, scenario: string, bRuns: BenchResult[], aRuns: BenchResult[]): Row[] {
  const rows = compareRows(bRuns, aRuns);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'runs.json'), `${JSON.stringify({ scenario, b: bRuns, a: aRuns, rows }, null, 2)}\n`);
  writeFileSync(join(dir, 'report.md'), `${renderMarkdown(scenario, rows, bRuns, aRuns)}\n`);
  writeFileSync(join(dir, 'report.html'), renderHtml(scenario, rows, bRuns, aRuns));
  return rows;
}

/** Renders the reports of a comparison again from its runs.json (after a change to the reports). */
export function renderAgain(dir: string): void {
  const { scenario, b, a } = JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8')) as { scenario: string; b: BenchResult[]; a: BenchResult[] };
  writeReports(dir, scenario, b, a);
}

export async function compare(scenario: string, overrides: Overrides, rounds: number, outRoot: string) {
  const bRuns: BenchResult[] = [];
  const aRuns: BenchResult[] = [];
  for (let i = 0; i < Math.max(3, rounds); i++) {
    for (const profile of ['b', 'a'] as const) {
      process.stderr.write(`round ${i + 1}, profile ${profile.toUpperCase()}\n`);
      const result = await runScenario(scenario, profile, overrides);
      (profile === 'b' ? bRuns : aRuns).push(result);
    }
  }
  const dir = join(outRoot, `${new Date().toISOString().slice(0, 10)}-${scenario}`);
  const rows = writeReports(dir, scenario, bRuns, aRuns);
  const summary = rows
    .map((r) => `${r.metric.padEnd(24)} B ${fmt(r.b.median).padStart(10)}  A ${fmt(r.a.median).padStart(10)}  ${r.deltaPct >= 0 ? '+' : ''}${r.deltaPct.toFixed(1)}% ${r.unit}`)
    .join('\n');
  return { dir, rows, summary };
}
