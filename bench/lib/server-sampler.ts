import type { ServerUsage } from './result.js';
import type { ServerStats, Target } from './target.js';

/** Samples GET /stats during a measured phase: peak RSS, and CPU time used in the phase. */
export class ServerSampler {
  private first: ServerStats | undefined;
  private firstAt = 0;
  private peakRss = 0;
  private firstRedisCpu = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly target: Target) {}

  async begin(): Promise<void> {
    this.first = await this.target.stats();
    this.firstRedisCpu = this.target.redisCpuMicros?.() ?? 0;
    this.firstAt = performance.now();
    this.peakRss = this.first?.rssBytes ?? 0;
    this.timer = setInterval(() => {
      void this.target.stats().then((s) => {
        if (s && s.rssBytes > this.peakRss) this.peakRss = s.rssBytes;
      });
    }, 500);
    this.timer.unref();
  }

  /**
   * CPU % of one core and µs of CPU per unit of work over the phase (every server process, its
   * Redis included, with the share of Redis apart); undefined without /stats.
   */
  async end(units: number): Promise<ServerUsage | undefined> {
    if (this.timer) clearInterval(this.timer);
    const last = await this.target.stats();
    if (!this.first || !last) return undefined;
    const cpu = last.cpuUserMicros + last.cpuSystemMicros - this.first.cpuUserMicros - this.first.cpuSystemMicros;
    const wallMicros = (performance.now() - this.firstAt) * 1000;
    const usage: ServerUsage = {
      cpuPct: (cpu / wallMicros) * 100,
      cpuMicrosPerUnit: units > 0 ? cpu / units : 0,
      rssBytesBefore: this.first.rssBytes,
      rssBytesPeak: Math.max(this.peakRss, last.rssBytes),
    };
    const redisCpu = this.target.redisCpuMicros?.();
    if (redisCpu !== undefined) usage.redisCpuPct = ((redisCpu - this.firstRedisCpu) / wallMicros) * 100;
    const processes = this.target.processes?.();
    if (processes !== undefined) usage.processes = processes;
    return usage;
  }
}
