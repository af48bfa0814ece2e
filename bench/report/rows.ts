/**
 * The comparison of two profiles' runs, metric by metric: medians with their spread across rounds,
 * the delta, and its verdict (none below a measurement's resolution). Used by bench:compare and
 * its Markdown and HTML reports.
 */
import { type BenchResult, memoryPerConnectionResolution } from '../lib/result.js';

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
  /** (A - B) / B in %, from the medians; null when B's median is 0 and A's is not (no ratio). */
  deltaPct: number | null;
  /** The smallest value the measurement resolves, in the row's unit, when it has such a floor. */
  resolution?: number;
  /** false: no verdict on this row (it explains the others). */
  judged?: false;
}

/** Median, min and max of a figure across rounds. */
export const spread = (values: number[]): Spread => {
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
  /** false: a figure that explains the others, with no better or worse (a share, the generator's CPU). */
  judged?: false;
}

const kib = (bytes: number | undefined) => (bytes === undefined ? undefined : bytes / 1024);

/** A number from a result's details (limiter scenarios), by path; undefined when absent or null. */
const detail = (r: BenchResult, ...path: string[]): number | undefined => {
  let v: unknown = r.details;
  for (const key of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return typeof v === 'number' ? v : undefined;
};

const METRICS: MetricDef[] = [
  { metric: 'throughput', unit: '/s', higherIsBetter: true, read: (r) => r.throughputPerSec },
  { metric: 'latency mean', unit: 'ms', higherIsBetter: false, read: (r) => r.latency.meanMs },
  { metric: 'latency p50', unit: 'ms', higherIsBetter: false, read: (r) => r.latency.p50Ms },
  { metric: 'latency p95', unit: 'ms', higherIsBetter: false, read: (r) => r.latency.p95Ms },
  { metric: 'latency p99', unit: 'ms', higherIsBetter: false, read: (r) => r.latency.p99Ms },
  { metric: 'latency max', unit: 'ms', higherIsBetter: false, read: (r) => r.latency.maxMs },
  {
    metric: 'server CPU per unit',
    unit: 'µs',
    higherIsBetter: false,
    read: (r) => r.server?.cpuMicrosPerUnit ?? undefined,
  },
  { metric: 'server CPU', unit: '% of a core', higherIsBetter: false, read: (r) => r.server?.cpuPct ?? undefined },
  {
    metric: 'memory per connection',
    unit: 'KiB',
    higherIsBetter: false,
    read: (r) => kib(r.server?.memoryPerConnectionBytes),
    resolution: (r) => kib(memoryPerConnectionResolution(r)),
  },
  {
    metric: 'server RSS peak',
    unit: 'MiB',
    higherIsBetter: false,
    read: (r) => (typeof r.server?.rssBytesPeak === 'number' ? r.server.rssBytesPeak / 2 ** 20 : undefined),
  },
  { metric: 'connection success', unit: '%', higherIsBetter: true, read: (r) => r.connections?.successPct },
  { metric: 'drops', unit: '%', higherIsBetter: false, read: (r) => r.drops?.dropPct },
  // the limiter scenarios
  { metric: 'false allows', unit: '%', higherIsBetter: false, read: (r) => detail(r, 'accuracy', 'falseAllowPct') },
  { metric: 'false denies', unit: '%', higherIsBetter: false, read: (r) => detail(r, 'accuracy', 'falseDenyPct') },
  {
    metric: 'over-limit allowances',
    unit: '%',
    higherIsBetter: false,
    read: (r) => detail(r, 'accuracy', 'overLimitPct'),
  },
  // degrade, by phase of the run
  ...(['before', 'during', 'after'] as const).flatMap((phase): MetricDef[] => [
    {
      metric: `false allows ${phase} the fault`,
      unit: '%',
      higherIsBetter: false,
      read: (r) => detail(r, 'accuracyByPhase', phase, 'falseAllowPct'),
    },
    {
      metric: `false denies ${phase} the fault`,
      unit: '%',
      higherIsBetter: false,
      read: (r) => detail(r, 'accuracyByPhase', phase, 'falseDenyPct'),
    },
  ]),
  {
    metric: 'fallback share during the fault',
    unit: '%',
    higherIsBetter: false,
    judged: false,
    read: (r) => detail(r, 'faultPhase', 'fallbackHitRatioPct'),
  },
  { metric: 'HTTP errors', unit: '%', higherIsBetter: false, read: (r) => detail(r, 'errorRatePct') },
  {
    metric: 'Redis round trip mean',
    unit: 'ms',
    higherIsBetter: false,
    read: (r) => detail(r, 'redisRoundTrip', 'meanMs'),
  },
  {
    metric: 'decision latency mean',
    unit: 'ms',
    higherIsBetter: false,
    read: (r) => detail(r, 'redisRoundTrip', 'meanDecisionLatencyMs'),
  },
  {
    metric: 'Redis share of decision latency',
    unit: '%',
    higherIsBetter: false,
    judged: false,
    read: (r) => detail(r, 'redisRoundTrip', 'shareOfDecisionLatencyPct'),
  },
  {
    metric: 'Redis CPU per check',
    unit: 'µs',
    higherIsBetter: false,
    read: (r) => detail(r, 'redisCpu', 'microsPerCheck'),
  },
  {
    metric: 'fallback while Redis healthy',
    unit: 'decisions',
    higherIsBetter: false,
    read: (r) => detail(r, 'fallbackWhileRedisHealthy'),
  },
  {
    metric: 'load generator CPU',
    unit: '% of a core',
    higherIsBetter: false,
    judged: false,
    read: (r) => r.server?.loadGenerator?.cpuPct,
  },
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
      deltaPct: sb.median === 0 ? (sa.median === 0 ? 0 : null) : ((sa.median - sb.median) / sb.median) * 100,
      ...(resolutions.length > 0 ? { resolution: Math.max(...resolutions) } : {}),
      ...(m.judged === false ? { judged: false as const } : {}),
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
 * Whether A is better or worse than B on this row: differences under 0.5% are the same, a row
 * where either median is below the measurement's resolution has no verdict (`unresolved`), and
 * neither has a row that only explains the others (`unjudged`).
 */
export function verdict(r: Row): 'better' | 'worse' | 'same' | 'unresolved' | 'unjudged' {
  if (r.judged === false) return 'unjudged';
  if (belowResolution(r).length > 0) return 'unresolved';
  if (r.deltaPct === null) return r.a.median > 0 === r.higherIsBetter ? 'better' : 'worse';
  if (Math.abs(r.deltaPct) < 0.5) return 'same';
  return r.deltaPct > 0 === r.higherIsBetter ? 'better' : 'worse';
}

/** The delta as the reports write it: `+12.3%`, or `B is 0` where there is no ratio. */
export function formatDelta(r: Row): string {
  if (r.deltaPct === null) return 'B is 0';
  return `${r.deltaPct >= 0 ? '+' : ''}${r.deltaPct.toFixed(1)}%`;
}

/** The verdict as the reports write it after the delta. */
export function verdictNote(r: Row): string {
  const v = verdict(r);
  if (v === 'same' || v === 'unjudged') return '';
  if (v === 'better' || v === 'worse') return ` (${v})`;
  return ` (${belowResolution(r).join(' and ')} below the resolution of ${fmt(r.resolution as number)} ${r.unit}: no verdict)`;
}

export const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(3));
