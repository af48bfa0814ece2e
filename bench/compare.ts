/**
 * bench:compare: Profile B and Profile A in turn (B, A, B, A, ...), the same scenario and load
 * each round, then a report of the B vs A delta with the spread across rounds; or, with
 * `--targets`, any list of targets in turn, each against the first; or, with `--protocols`, each
 * target (B and A by default) over each protocol in turn (limiter scenarios), each against the
 * first (`b http`); or, with `--redises`, each target on one Redis and on a Redis Cluster.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult } from './lib/result.js';
import { renderHtml } from './report/html.js';
import { renderMarkdown } from './report/markdown.js';
import { renderLedgerHtml, renderLedgerMarkdown } from './report/ledger-report.js';
import { ledgerRows, variantRows } from './ledger.js';
import { manyRows, renderManyHtml, renderManyMarkdown } from './report/many.js';
import { compareRows, fmt, formatDelta, type Row } from './report/rows.js';
import type { Protocol } from './limiter/offer.js';
import type { TargetOptions } from './lib/target.js';
import { interleavedRuns, type Overrides } from './run.js';

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
  const saved = JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8'));
  if ('targets' in saved) {
    writeManyReports(dir, saved.scenario, saved.targets, saved.runs);
    return;
  }
  if ('ladder' in saved) {
    // a ledger's (bench/ledger.ts): its rows again from its runs
    const rows = ledgerRows(saved.ladder, saved.runs);
    const varied = variantRows(saved.variants ?? [], saved.variantRuns ?? [], saved.ladder, rows);
    writeFileSync(join(dir, 'report.md'), renderLedgerMarkdown(saved.kind, rows, saved.runs, saved.profiled, varied));
    writeFileSync(join(dir, 'report.html'), renderLedgerHtml(saved.kind, rows, saved.runs, saved.profiled, varied));
    return;
  }
  const { scenario, b, a } = saved as { scenario: string; b: BenchResult[]; a: BenchResult[] };
  writeReports(dir, scenario, b, a);
}

function writeManyReports(dir: string, scenario: string, targets: string[], runs: BenchResult[][]) {
  const rows = manyRows(runs);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'runs.json'), `${JSON.stringify({ scenario, targets, runs, rows }, null, 2)}\n`);
  writeFileSync(join(dir, 'report.md'), renderManyMarkdown(scenario, targets, rows, runs));
  writeFileSync(join(dir, 'report.html'), renderManyHtml(scenario, targets, rows, runs));
  return rows;
}

/**
 * Any targets (a, b, cluster, ledger:<rung>, URLs) in turn, each round every target in the given
 * order, at least 3 rounds; the report sets each against the first.
 */
export async function compareMany(
  scenario: string,
  targets: string[],
  overrides: Overrides,
  rounds: number,
  outRoot: string,
  targetOptions: TargetOptions = {},
) {
  const runs = await interleavedRuns(scenario, targets, overrides, Math.max(3, rounds), undefined, () => targetOptions);
  const dir = join(
    outRoot,
    `${new Date().toISOString().slice(0, 10)}-${scenario}-${targets.length}-targets${grpcSuffix(overrides)}`,
  );
  const rows = writeManyReports(dir, scenario, targets, runs);
  return { dir, summary: manySummary(targets, rows) };
}

/**
 * Each target in each variant (an option over `overrides`), in turn each round: `b http`,
 * `b grpc`, `a http`, `a grpc`, at least 3 rounds; the report sets each against the first and is
 * written to `<date>-<scenario><dirSuffix>`.
 */
async function compareVariants<K extends 'protocol' | 'redis'>(
  scenario: string,
  targets: string[],
  option: K,
  variants: NonNullable<Overrides[K]>[],
  overrides: Overrides,
  rounds: number,
  outRoot: string,
  dirSuffix: string,
  targetOptions: TargetOptions = {},
) {
  const runsOf = targets.flatMap((target) => variants.map((variant) => ({ target, variant })));
  const labels = runsOf.map(({ target, variant }) => `${target} ${variant}`);
  const runs = await interleavedRuns(
    scenario,
    runsOf.map((r) => r.target),
    overrides,
    Math.max(3, rounds),
    (_, i) => labels[i] as string,
    () => targetOptions,
    (i) => ({ [option]: runsOf[i]?.variant }),
  );
  const dir = join(outRoot, `${new Date().toISOString().slice(0, 10)}-${scenario}${dirSuffix}`);
  const rows = writeManyReports(dir, scenario, labels, runs);
  return { dir, summary: manySummary(labels, rows) };
}

/**
 * Each target over each protocol (a limiter scenario): `b http`, `b grpc`, `a http`, `a grpc` by
 * default, in `<date>-<scenario>[-N-instances]-http-vs-grpc`.
 */
export function compareProtocols(
  scenario: string,
  targets: string[],
  protocols: Protocol[],
  overrides: Overrides,
  rounds: number,
  outRoot: string,
  targetOptions: TargetOptions = {},
) {
  const suffix = `${instancesSuffix(overrides)}-${protocols.join('-vs-')}`;
  return compareVariants(scenario, targets, 'protocol', protocols, overrides, rounds, outRoot, suffix, targetOptions);
}

/**
 * Each target on each kind of private Redis (normal, hotkey: one redis-server, a cluster of three
 * masters): `b single`, `b cluster`, `a single`, `a cluster` by default, in
 * `<date>-<scenario>-single-vs-cluster-redis`.
 */
export function compareRedises(
  scenario: string,
  targets: string[],
  kinds: ('single' | 'cluster')[],
  overrides: Overrides,
  rounds: number,
  outRoot: string,
) {
  return compareVariants(scenario, targets, 'redis', kinds, overrides, rounds, outRoot, `-${kinds.join('-vs-')}-redis`);
}

function manySummary(targets: string[], rows: ReturnType<typeof manyRows>): string {
  return rows
    .map(
      (r) =>
        `${r.metric.padEnd(28)} ${targets[0]} ${fmt(r.first.median)}  ` +
        r.others
          .map((o, i) => (o ? `${targets[i + 1]} ${fmt(o.a.median)} (${formatDelta(o)})` : `${targets[i + 1]} n/a`))
          .join('  '),
    )
    .join('\n');
}

/** `-N-instances` in a directory's name for degrade on N > 1 instances. */
const instancesSuffix = (overrides: Overrides) =>
  overrides.instances !== undefined && overrides.instances > 1 ? `-${overrides.instances}-instances` : '';

/** `-grpc` in a directory's name for a comparison over gRPC. */
const grpcSuffix = (overrides: Overrides) => (overrides.protocol === 'grpc' ? '-grpc' : '');

export async function compare(scenario: string, overrides: Overrides, rounds: number, outRoot: string) {
  const [bRuns = [], aRuns = []] = await interleavedRuns(
    scenario,
    ['b', 'a'],
    overrides,
    Math.max(3, rounds),
    (profile) => `profile ${profile.toUpperCase()}`,
  );
  const dir = join(
    outRoot,
    `${new Date().toISOString().slice(0, 10)}-${scenario}${instancesSuffix(overrides)}${grpcSuffix(overrides)}`,
  );
  const rows = writeReports(dir, scenario, bRuns, aRuns);
  const summary = rows
    .map(
      (r) =>
        `${r.metric.padEnd(28)} B ${fmt(r.b.median).padStart(10)}  A ${fmt(r.a.median).padStart(10)}  ${formatDelta(r)} ${r.unit}`,
    )
    .join('\n');
  return { dir, rows, summary };
}
