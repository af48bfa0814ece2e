import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { LatencySummary } from './histogram.js';
import type { ProfileSummary } from './cpu-profile.js';

export interface BenchResult {
  scenario: string;
  target: string;
  startedAt: string;
  settings: Record<string, unknown>;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string; pinned: boolean };
  /**
   * Where the figures come from: the checkout's commit (and whether it had changes), the command,
   * the settings the harness gave a server it started, and the Redis version when it started one.
   */
  provenance?: {
    commit: string | null;
    dirty: boolean;
    command: string;
    serverSettings?: Readonly<Record<string, string>>;
    redis?: string;
  };
  unit: 'messages' | 'checks';
  /** Deliveries (chat: frames received by recipients) or decisions (limiter) in the measured phase. */
  total: number;
  processingSeconds: number;
  throughputPerSec: number;
  latency: LatencySummary;
  connections?: { attempted: number; succeeded: number; successPct: number };
  /**
   * Chat deliveries owed to members (from their join's acknowledgement to their leave) and how
   * many arrived; never more arrived than owed. Apart: owed to a member the harness disconnected
   * that had not reached it (in flight at its leave), and received before a member's join was
   * acknowledged (churn).
   */
  drops?: {
    expected: number;
    received: number;
    dropPct: number;
    seqGaps: number;
    inFlightAtLeave?: number;
    beforeJoinAck?: number;
  };
  server?: ServerUsage;
  /**
   * With --cpu-prof on a started profile: the server's CPU profile (`node --cpu-prof`, open it in
   * Chrome DevTools or speedscope) and its self time by package over the measured phase.
   */
  cpuProfile?: { file: string } & ProfileSummary;
  /** Scenario-specific figures (connect phase, recovery, capacity steps, accuracy ...). */
  details: Record<string, unknown>;
  /** Checks the run failed (isolation breach, leak ...): a non-empty list fails the run. */
  failures: string[];
}

/**
 * The server's figures over the measured phase, from its /stats (docs/CONTRACT.md). A figure the
 * target's /stats does not give is null (`n/a` in the text), and `unavailable` says why: a
 * server of the contracts in another language may leave some out.
 */
export interface ServerUsage {
  rssBytesBefore: number | null;
  /** A started server's RSS just after it answered /health, before any load (bench:ledger's idle figure). */
  rssBytesIdle?: number;
  rssBytesPeak: number | null;
  /** RSS growth per connection, measured once every client had joined. */
  memoryPerConnectionBytes?: number;
  /** CPU time of the server during the measured phase, as % of one core (all its processes, its Redis included). */
  cpuPct: number | null;
  cpuMicrosPerUnit: number | null;
  /** Why a figure above is null. */
  unavailable?: string[];
  /** Of cpuPct, the share of the Redis the harness started for the target (chat bus). */
  redisCpuPct?: number;
  /** How many processes the CPU and RSS figures cover (a started target: server, workers, Redis). */
  processes?: number;
  /**
   * The load generator (this harness's process, all its threads) over the same phase: its CPU as
   * % of one core, and whether it was saturated (GENERATOR_SATURATED_PCT or more of each core its
   * threads can use), in which case the figures may show the generator's limit rather than the
   * server's.
   */
  loadGenerator?: { cpuPct: number; saturated: boolean };
  /** The measured phase on the monotonic clock (process.hrtime, µs), which a server's CPU profile shares. */
  phase?: { fromUs: number; toUs: number };
}

/**
 * The smallest RSS growth the memory-per-connection method resolves. RSS moves by megabytes with
 * no cause in the load (V8 grows and shrinks its heap in steps; malloc keeps and returns arenas):
 * at 1000 connections Profile B's three rounds of one load grew 0, 0.2 and 10.9 MiB. The
 * resolution is set above the largest such swing seen; a growth under it, spread over the
 * connections, is below the method's resolution.
 */
export const RSS_RESOLUTION_BYTES = 16 * 2 ** 20;

/** The load generator's CPU, in % of one core, from which a run counts as generator-bound. */
export const GENERATOR_SATURATED_PCT = 90;

/** The resolution of a run's memory per connection (bytes), or undefined when it has none. */
export function memoryPerConnectionResolution(r: BenchResult): number | undefined {
  const connections = r.connections?.succeeded;
  if (r.server?.memoryPerConnectionBytes === undefined || !connections) return undefined;
  return RSS_RESOLUTION_BYTES / connections;
}

/** The part of a result every scenario fills the same way: what ran, where, with which options. */
export type ResultBase = Omit<BenchResult, 'total' | 'processingSeconds' | 'throughputPerSec' | 'latency'>;

export function resultBase(
  scenario: string,
  target: {
    readonly name: string;
    readonly serverSettings?: Readonly<Record<string, string>>;
    readonly redisVersion?: string;
  },
  unit: BenchResult['unit'],
  options: { quiet: boolean; pinned: boolean } & object,
): ResultBase {
  const { quiet: _quiet, pinned, ...settings } = options;
  return {
    scenario,
    target: target.name,
    startedAt: new Date().toISOString(),
    settings,
    machine: machine(pinned),
    provenance: {
      ...provenance(),
      ...(target.serverSettings ? { serverSettings: target.serverSettings } : {}),
      ...(target.redisVersion ? { redis: target.redisVersion } : {}),
    },
    unit,
    details: {},
    failures: [],
  };
}

/** The commit of the checkout the harness runs from (null outside a git checkout), and the command line. */
function provenance(): { commit: string | null; dirty: boolean; command: string } {
  const git = (...args: string[]) => {
    try {
      // the harness's own checkout, wherever it is run from
      const cwd = fileURLToPath(new URL('.', import.meta.url));
      return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const commit = git('rev-parse', 'HEAD');
  return {
    commit,
    dirty: commit !== null && (git('status', '--porcelain', '--untracked-files=no') ?? '') !== '',
    command: ['node', ...process.argv.slice(1)].join(' '),
  };
}

function machine(pinned: boolean): BenchResult['machine'] {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    pinned,
  };
}

/** The standard statistics block shared by every implementation in the suite, then the rest. */
export function formatResult(r: BenchResult): string {
  const unit = r.unit === 'messages' ? 'messages' : 'checks';
  const lines = [
    '--- Statistics ---',
    `Total ${unit}: ${r.total}`,
    `Processing time: ${r.processingSeconds.toFixed(3)}s`,
    `Average latency: ${r.latency.meanMs.toFixed(3)}ms`,
    `Throughput: ${r.throughputPerSec.toFixed(2)} ${unit}/sec`,
    '--- Details ---',
    `Scenario: ${r.scenario}   Target: ${r.target}`,
    `Latency p50/p95/p99/max: ${r.latency.p50Ms.toFixed(3)} / ${r.latency.p95Ms.toFixed(3)} / ${r.latency.p99Ms.toFixed(3)} / ${r.latency.maxMs.toFixed(3)} ms`,
  ];
  if (r.connections) {
    lines.push(
      `Connections: ${r.connections.succeeded}/${r.connections.attempted} (${r.connections.successPct.toFixed(2)}% success)`,
    );
  }
  if (r.drops) {
    lines.push(
      `Drops: ${r.drops.expected - r.drops.received} of ${r.drops.expected} (${r.drops.dropPct.toFixed(3)}%), seq gaps: ${r.drops.seqGaps}` +
        (r.drops.inFlightAtLeave !== undefined
          ? `; apart: ${r.drops.inFlightAtLeave} in flight to members that left`
          : '') +
        (r.drops.beforeJoinAck !== undefined
          ? `${r.drops.inFlightAtLeave !== undefined ? ',' : '; apart:'} ${r.drops.beforeJoinAck} received before the join was acknowledged`
          : ''),
    );
  }
  if (r.server) {
    const mib = (b: number | null) => (b === null ? 'n/a' : (b / 2 ** 20).toFixed(1));
    const fixed = (n: number | null, digits: number) => (n === null ? 'n/a' : n.toFixed(digits));
    const perConn = r.server.memoryPerConnectionBytes;
    const resolution = memoryPerConnectionResolution(r);
    const unresolved =
      resolution !== undefined && (perConn as number) < resolution
        ? ` (below the resolution of ${(resolution / 1024).toFixed(1)} KiB)`
        : '';
    lines.push(
      `Server: RSS ${mib(r.server.rssBytesBefore)} -> peak ${mib(r.server.rssBytesPeak)} MiB` +
        (perConn !== undefined ? `, ${(perConn / 1024).toFixed(1)} KiB per connection${unresolved}` : '') +
        `, CPU ${fixed(r.server.cpuPct, 1)}% of a core` +
        (r.server.redisCpuPct !== undefined ? ` (Redis ${r.server.redisCpuPct.toFixed(1)}%)` : '') +
        (r.server.processes !== undefined
          ? ` over ${r.server.processes} process${r.server.processes === 1 ? '' : 'es'}`
          : '') +
        `, ${fixed(r.server.cpuMicrosPerUnit, 2)} µs per ${r.unit === 'messages' ? 'delivery' : 'check'}`,
    );
    if (r.server.unavailable) lines.push(`Server figures n/a: ${r.server.unavailable.join('; ')}`);
    const generator = r.server.loadGenerator;
    if (generator) {
      lines.push(
        `Load generator: CPU ${generator.cpuPct.toFixed(1)}% of a core` +
          (generator.saturated ? " (SATURATED: the figures may be the generator's limit, not the server's)" : ''),
      );
    }
  }
  const m = r.machine;
  if (m) {
    const p = r.provenance;
    lines.push(
      `Machine: ${m.cpuModel}, ${m.cpus} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}` +
        (p ? `; commit ${p.commit ?? 'unknown'}${p.dirty ? ' with uncommitted changes' : ''}` : ''),
    );
    if (p) lines.push(`Command: ${p.command}`);
    if (p?.serverSettings) {
      const settings = Object.entries(p.serverSettings).map(([k, v]) => `${k}=${v}`);
      lines.push(`Server settings: ${settings.join(' ')}${p.redis ? `; Redis ${p.redis}` : ''}`);
    } else if (p?.redis) {
      lines.push(`Redis ${p.redis}`);
    }
  }
  if (r.cpuProfile) {
    const top = r.cpuProfile.byPackage.slice(0, 10).map((p) => `${p.name} ${p.pct.toFixed(1)}%`);
    lines.push(`Server CPU profile (${r.cpuProfile.covers}, ${r.cpuProfile.busyMs} ms busy): ${r.cpuProfile.file}`);
    lines.push(`Self time by package: ${top.join(', ')}${r.cpuProfile.byPackage.length > 10 ? ', ...' : ''}`);
  }
  for (const [key, value] of Object.entries(r.details))
    lines.push(`${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  lines.push(r.failures.length === 0 ? 'Checks: passed' : `Checks: FAILED: ${r.failures.join('; ')}`);
  return lines.join('\n');
}
