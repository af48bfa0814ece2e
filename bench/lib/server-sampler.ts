import type { ServerStats, Target } from './target.js';

/** Samples GET /stats during a measured phase: peak RSS, and CPU time used in the phase. */
export class ServerSampler {
  private first: ServerStats | undefined;
  private firstAt = 0;
  private peakRss = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly target: Target) {}

  async begin(): Promise<void> {
    this.first = await this.target.stats();
    this.firstAt = performance.now();
    this.peakRss = this.first?.rssBytes ?? 0;
    this.timer = setInterval(() => {
      void this.target.stats().then((s) => {
        if (s && s.rssBytes > this.peakRss) this.peakRss = s.rssBytes;
      });
    }, 500);
    this.timer.unref();
  }

  /** CPU % of one core and µs of CPU per unit of work over the phase; undefined without /stats. */
  async end(units: number): Promise<{ cpuPct: number; cpuMicrosPerUnit: number; rssBytesBefore: number; rssBytesPeak: number } | undefined> {
    if (this.timer) clearInterval(this.timer);
    const last = await this.target.stats();
    if (!this.first || !last) return undefined;
    const cpu = last.cpuUserMicros + last.cpuSystemMicros - this.first.cpuUserMicros - this.first.cpuSystemMicros;
    const wallMicros = (performance.now() - this.firstAt) * 1000;
    return {
      cpuPct: (cpu / wallMicros) * 100,
      cpuMicrosPerUnit: units > 0 ? cpu / units : 0,
      rssBytesBefore: this.first.rssBytes,
      rssBytesPeak: Math.max(this.peakRss, last.rssBytes),
    };
  }
}
