import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The distribution, for a percentile plot: [percentile, ms] at PERCENTILES (100 is the max). */
  percentiles?: [number, number][];
}

/** Where the distribution is kept: each step a tenfold rarer tail, as HDR plots draw it. */
export const PERCENTILES = [0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100];

/** Latencies in milliseconds, kept exactly (HDR, 3 significant digits) at microsecond resolution. */
export class LatencyHistogram {
  private readonly h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });

  record(ms: number): void {
    this.h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  /** The histogram, compressed, to send to another thread (addEncoded there). */
  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.h);
  }

  /** Adds the latencies of another histogram, from its encode(). */
  addEncoded(encoded: string): void {
    this.h.add(hdr.decodeFromCompressedBase64(encoded));
  }

  reset(): void {
    this.h.reset();
  }

  summary(): LatencySummary {
    const ms = (us: number) => Math.round(us) / 1000;
    if (this.h.totalCount === 0) return { count: 0, meanMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0 };
    return {
      count: this.h.totalCount,
      meanMs: ms(this.h.mean),
      p50Ms: ms(this.h.getValueAtPercentile(50)),
      p95Ms: ms(this.h.getValueAtPercentile(95)),
      p99Ms: ms(this.h.getValueAtPercentile(99)),
      maxMs: ms(this.h.maxValue),
      percentiles: PERCENTILES.map((p) => [p, ms(p === 100 ? this.h.maxValue : this.h.getValueAtPercentile(p))]),
    };
  }
}
