/**
 * bench:ledger: where Profile A's extra cost goes. One fixed load (the same seed and rate, below
 * every rung's capacity) against a ladder of servers from Profile B to Profile A, each rung one
 * layer of A more than the one before (src/ledger/rungs.ts), in interleaved rounds; per rung the
 * CPU per check, p95 and RSS with their spread, and the increment over the rung below; then one
 * more run of A under `node --cpu-prof`, its self time summed by package.
 *
 * The limiter's ladder only, so far: the chat's is to come.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BenchResult } from './lib/result.js';
import { interleavedRuns, type Overrides, runScenario, stripUndefined } from './run.js';
import { type LedgerRow, renderLedgerHtml, renderLedgerMarkdown } from './report/ledger-report.js';
import { spread } from './report/rows.js';

/** One rung of a ladder: the target spec, and the layer it adds to the rung below. */
export interface Rung {
  target: string;
  adds: string;
}

export const LIMITER_LADDER: Rung[] = [
  { target: 'b', adds: 'Profile B: node:http, the core Limiter (the floor)' },
  { target: 'ledger:nest', adds: 'Nest on Express: DI, routing, a plain controller, the body parser' },
  { target: 'ledger:pipe', adds: "A's controller with DecisionBodyPipe (class-transformer + class-validator)" },
  {
    target: 'ledger:http-module',
    adds: 'LimiterHttpModule (throttler guard, body-encoding check), the exception filter, Express settings',
  },
  { target: 'ledger:limiter-module', adds: 'LimiterModule and MetricsModule (decisions counted, tracing checks)' },
  { target: 'a', adds: 'the rest of Profile A: telemetry, chat, status and health modules, the WebSocket adapter' },
];

/** The ledger's fixed load: `normal` on the memory store, well below the slowest rung's capacity. */
export const LEDGER_LOAD: Overrides = { store: 'memory', rate: 20_000, durationS: 20, warmupS: 3 };

const mib = (bytes: number | null | undefined) => (typeof bytes === 'number' ? bytes / 2 ** 20 : Number.NaN);

/** The rows of a ledger from each rung's runs (in ladder order). */
export function ledgerRows(ladder: Rung[], runs: BenchResult[][]): LedgerRow[] {
  let below = 0;
  return ladder.map((rung, i) => {
    const mine = runs[i] ?? [];
    const cpu = spread(mine.map((r) => r.server?.cpuMicrosPerUnit ?? Number.NaN));
    const row: LedgerRow = {
      target: rung.target,
      adds: rung.adds,
      cpuMicrosPerCheck: cpu,
      incrementMicros: i === 0 ? cpu.median : cpu.median - below,
      p95Ms: spread(mine.map((r) => r.latency.p95Ms)),
      rssIdleMiB: spread(mine.map((r) => mib(r.server?.rssBytesIdle))),
      rssPeakMiB: spread(mine.map((r) => mib(r.server?.rssBytesPeak))),
    };
    below = cpu.median;
    return row;
  });
}

export type { LedgerRow };

export async function ledger(kind: string, overrides: Overrides, rounds: number, outRoot: string) {
  if (kind !== 'limiter') throw new Error(`bench:ledger has the limiter's ladder only (so far), not '${kind}'`);
  const ladder = LIMITER_LADDER;
  const load: Overrides = { ...LEDGER_LOAD, ...stripUndefined(overrides) };
  const runs = await interleavedRuns(
    'normal',
    ladder.map((rung) => rung.target),
    load,
    rounds,
  );
  const dir = join(outRoot, `${new Date().toISOString().slice(0, 10)}-ledger-${kind}`);
  mkdirSync(dir, { recursive: true });
  process.stderr.write('A under node --cpu-prof\n');
  const profiled = await runScenario('normal', 'a', load, {}, { cpuProfileDir: resolve(dir, 'profile') });
  const rows = ledgerRows(ladder, runs);
  writeFileSync(join(dir, 'runs.json'), `${JSON.stringify({ kind, load, ladder, runs, profiled, rows }, null, 2)}\n`);
  writeFileSync(join(dir, 'report.md'), renderLedgerMarkdown(kind, rows, runs, profiled));
  writeFileSync(join(dir, 'report.html'), renderLedgerHtml(kind, rows, runs, profiled));
  return { dir, rows };
}
