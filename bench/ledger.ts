/**
 * bench:ledger: where Profile A's extra cost goes. One fixed load (the same seed and rate, below
 * every rung's capacity) against a ladder of servers from Profile B to Profile A, each rung one
 * layer of A more than the one before (src/ledger/limiter-rungs.ts, src/ledger/chat-rungs.ts),
 * and variants of some rungs beside them, in interleaved rounds; per rung the CPU per check or
 * delivery, p95 and RSS with their spread, and the increment over the rung below (a variant's:
 * over the rung it varies); then one more run of A under `node --cpu-prof`, its self time summed
 * by package.
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
  /** Node's or V8's flags for the started server (a variant's). */
  nodeFlags?: string[];
}

/**
 * A variant of a rung, not a layer of A: the same server with the runtime set otherwise (V8's
 * heap sizing), or A on another HTTP platform; set against the ladder's rung `against`.
 */
export interface Variant extends Rung {
  against: string;
}

/** V8's young generation capped at 1 MiB per semi-space (the default grows to 16): memory for GC time. */
const SMALL_YOUNG_GENERATION = ['--max-semi-space-size=1'];
/** And let grow to 64 MiB per semi-space: GC time for memory, the other way. */
const LARGE_YOUNG_GENERATION = ['--max-semi-space-size=64'];

/**
 * The runtime's own settings, on the floor and on A: what V8's heap sizing does to memory and
 * CPU. (A on its other HTTP platform is added as the last variant.)
 */
export const VARIANTS: Variant[] = [
  { target: 'b', against: 'b', nodeFlags: SMALL_YOUNG_GENERATION, adds: "B, V8's young generation capped" },
  { target: 'a', against: 'a', nodeFlags: SMALL_YOUNG_GENERATION, adds: "A, V8's young generation capped" },
  { target: 'a', against: 'a', nodeFlags: LARGE_YOUNG_GENERATION, adds: "A, V8's young generation let grow" },
];

/**
 * The HTTP platform of the ladder's Nest rungs and of `a`: the harness's HTTP_PLATFORM, as the
 * started servers inherit it (`HTTP_PLATFORM=fastify npm run bench:ledger -- limiter`), Express
 * by default; the other platform's A is a variant.
 */
function platforms(): { ladder: 'express' | 'fastify'; other: 'express' | 'fastify' } {
  return process.env.HTTP_PLATFORM?.trim() === 'fastify'
    ? { ladder: 'fastify', other: 'express' }
    : { ladder: 'express', other: 'fastify' };
}

const otherPlatform = (other: string): Variant => ({
  target: `a-${other}`,
  against: 'a',
  adds: `A on ${other === 'fastify' ? 'Fastify' : 'Express'} (HTTP_PLATFORM=${other}) instead`,
});

export const LIMITER_LADDER: Rung[] = [
  { target: 'b', adds: 'Profile B: node:http, the core Limiter (the floor)' },
  { target: 'ledger:nest', adds: "Nest on A's HTTP platform: DI, routing, a plain controller, the body parser" },
  { target: 'ledger:pipe', adds: "A's controller with DecisionBodyPipe (class-transformer + class-validator)" },
  {
    target: 'ledger:http-module',
    adds: "LimiterHttpModule (throttler guard, body-encoding check), the exception filter, the platform's settings",
  },
  { target: 'ledger:limiter-module', adds: 'LimiterModule and MetricsModule (decisions counted, tracing checks)' },
  { target: 'a', adds: 'the rest of Profile A: telemetry, chat, status and health modules, the WebSocket adapter' },
];

/** The chat's ladder: the layers of A's gateway one by one, then A's ChatModule, then A. */
export const CHAT_LADDER: Rung[] = [
  { target: 'b', adds: 'Profile B: node:http, ws, the core rooms (the floor)' },
  {
    target: 'ledger:chat-adapter',
    adds: "Nest on A's HTTP platform with A's WebSocket adapter, one plain handler per frame (no validation, no charge)",
  },
  {
    target: 'ledger:chat-gateway',
    adds: "gateway dispatch: A's adapter routes each frame (rxjs, in order) to @SubscribeMessage handlers",
  },
  {
    target: 'ledger:chat-guard',
    adds: "A's ConnectionRateLimitGuard (the per-connection bucket, through Nest's guard)",
  },
  { target: 'ledger:chat-pipe', adds: "A's ValidationPipe on every body (class-transformer + class-validator)" },
  {
    target: 'ledger:chat-module',
    adds: "A's ChatModule and gateway: the exception filter, tracing checks, the limiter and metrics modules",
  },
  { target: 'a', adds: 'the rest of Profile A: telemetry, the decision API, status and health, HTTP settings' },
];

/** Each ledger's scenario and fixed load (the same for every rung, well below the slowest rung's capacity). */
export const LEDGERS: Record<string, { scenario: string; ladder: Rung[]; variants: Variant[]; load: Overrides }> = {
  limiter: {
    scenario: 'normal',
    ladder: LIMITER_LADDER,
    variants: VARIANTS,
    load: { store: 'memory', rate: 20_000, durationS: 20, warmupS: 3 },
  },
  // issue 15's memory target: 1000 connections in rooms of 10 at 30 000 deliveries/s
  chat: {
    scenario: 'rooms',
    ladder: CHAT_LADDER,
    variants: VARIANTS,
    load: { clients: 1000, roomSize: 10, rate: 3, durationS: 20, warmupS: 5, connectS: 5 },
  },
};

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
      ...(rung.nodeFlags ? { nodeFlags: rung.nodeFlags } : {}),
      cpuMicrosPerUnit: cpu,
      incrementMicros: i === 0 ? cpu.median : cpu.median - below,
      p95Ms: spread(mine.map((r) => r.latency.p95Ms)),
      rssIdleMiB: spread(mine.map((r) => mib(r.server?.rssBytesIdle))),
      rssPeakMiB: spread(mine.map((r) => mib(r.server?.rssBytesPeak))),
    };
    below = cpu.median;
    return row;
  });
}

/** The variants' rows: each increment is against the median of the ladder's rung it varies. */
export function variantRows(variants: Variant[], runs: BenchResult[][], ladder: Rung[], ladderRows: LedgerRow[]) {
  return ledgerRows(variants, runs).map((row, i) => {
    const against = ladderRows[ladder.findIndex((r) => r.target === variants[i]?.against)];
    return { ...row, incrementMicros: row.cpuMicrosPerUnit.median - (against?.cpuMicrosPerUnit.median ?? Number.NaN) };
  });
}

export type { LedgerRow };

export async function ledger(kind: string, overrides: Overrides, rounds: number, outRoot: string) {
  const chosen = LEDGERS[kind];
  if (chosen === undefined) throw new Error(`bench:ledger runs ${Object.keys(LEDGERS).join(' or ')}, not '${kind}'`);
  const { scenario, ladder } = chosen;
  const platform = platforms();
  const variants = [...chosen.variants, otherPlatform(platform.other)];
  const load: Overrides = { ...chosen.load, ...stripUndefined(overrides) };
  const all: Rung[] = [...ladder, ...variants];
  const label = (rung: Rung) => [rung.target, ...(rung.nodeFlags ?? [])].join(' ');
  const allRuns = await interleavedRuns(
    scenario,
    all.map((rung) => rung.target),
    load,
    rounds,
    (_, i) => label(all[i] as Rung),
    (i) => ({ nodeFlags: all[i]?.nodeFlags }),
  );
  const runs = allRuns.slice(0, ladder.length);
  const onPlatform = platform.ladder === 'express' ? '' : `-${platform.ladder}`;
  const dir = join(outRoot, `${new Date().toISOString().slice(0, 10)}-ledger-${kind}${onPlatform}`);
  mkdirSync(dir, { recursive: true });
  process.stderr.write('A under node --cpu-prof\n');
  const profiled = await runScenario(scenario, 'a', load, {}, { cpuProfileDir: resolve(dir, 'profile') });
  const rows = ledgerRows(ladder, runs);
  const variantRuns = allRuns.slice(ladder.length);
  const varied = variantRows(variants, variantRuns, ladder, rows);
  writeFileSync(
    join(dir, 'runs.json'),
    `${JSON.stringify({ kind, load, ladder, runs, variants, variantRuns, varied, profiled, rows }, null, 2)}\n`,
  );
  writeFileSync(join(dir, 'report.md'), renderLedgerMarkdown(kind, rows, runs, profiled, varied));
  writeFileSync(join(dir, 'report.html'), renderLedgerHtml(kind, rows, runs, profiled, varied));
  return { dir, rows, varied };
}
