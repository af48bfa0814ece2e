import { GENERATOR_SATURATED_PCT, type ServerUsage } from './result.js';
import type { ServerStats, Target } from './target.js';

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** Samples GET /stats during a measured phase: peak RSS, and CPU time used in the phase. */
export class ServerSampler {
  private first: ServerStats | undefined;
  private firstAt = 0;
  private peakRss = 0;
  private firstRedisCpu = 0;
  private firstOwnCpu: NodeJS.CpuUsage | undefined;
  private fromUs = 0;
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param generatorCores how many cores the load generator can keep busy (its threads, at most
   *   its CPUs): it is saturated at GENERATOR_SATURATED_PCT of each.
   */
  constructor(
    private readonly target: Target,
    private readonly generatorCores = 1,
  ) {}

  async begin(): Promise<void> {
    this.first = await this.target.stats();
    this.firstRedisCpu = this.target.redisCpuMicros?.() ?? 0;
    this.firstAt = performance.now();
    this.firstOwnCpu = process.cpuUsage();
    this.fromUs = monotonicUs();
    this.peakRss = Number.isFinite(this.first?.rssBytes) ? (this.first as ServerStats).rssBytes : 0;
    this.timer = setInterval(() => {
      void this.target.stats().then((s) => {
        if (s && s.rssBytes > this.peakRss) this.peakRss = s.rssBytes; // false for a missing rssBytes
      });
    }, 500);
    this.timer.unref();
  }

  /**
   * CPU % of one core and µs of CPU per unit of work over the phase (every server process, its
   * Redis included, with the share of Redis apart), and the load generator's own CPU; undefined
   * without /stats. A figure /stats
   * does not give (a field missing or not a number) is null, and `unavailable` says which.
   */
  async end(units: number): Promise<ServerUsage | undefined> {
    if (this.timer) clearInterval(this.timer);
    const toUs = monotonicUs();
    const last = await this.target.stats();
    if (!this.first || !last) return undefined;
    const unavailable: string[] = [];
    const cpuOf = (s: ServerStats) => s.cpuUserMicros + s.cpuSystemMicros;
    const wallMicros = (performance.now() - this.firstAt) * 1000;
    let cpu: number | null = cpuOf(last) - cpuOf(this.first);
    if (!Number.isFinite(cpu)) {
      cpu = null;
      unavailable.push("CPU: the target's /stats has no cpuUserMicros and cpuSystemMicros numbers");
    }
    const rssKnown = Number.isFinite(this.first.rssBytes) && Number.isFinite(last.rssBytes);
    if (!rssKnown) unavailable.push("RSS: the target's /stats has no rssBytes number");
    const usage: ServerUsage = {
      cpuPct: cpu === null ? null : (cpu / wallMicros) * 100,
      cpuMicrosPerUnit: cpu === null ? null : units > 0 ? cpu / units : 0,
      rssBytesBefore: rssKnown ? this.first.rssBytes : null,
      rssBytesPeak: rssKnown ? Math.max(this.peakRss, last.rssBytes) : null,
      ...(unavailable.length > 0 ? { unavailable } : {}),
    };
    const redisCpu = this.target.redisCpuMicros?.();
    if (redisCpu !== undefined) usage.redisCpuPct = ((redisCpu - this.firstRedisCpu) / wallMicros) * 100;
    const processes = this.target.processes?.();
    if (processes !== undefined) usage.processes = processes;
    const own = process.cpuUsage(this.firstOwnCpu);
    const generatorPct = ((own.user + own.system) / wallMicros) * 100;
    usage.phase = { fromUs: this.fromUs, toUs };
    usage.loadGenerator = {
      cpuPct: generatorPct,
      saturated: generatorPct >= GENERATOR_SATURATED_PCT * this.generatorCores,
    };
    return usage;
  }
}
