import { describe, expect, it } from 'vitest';
import { formatResult, type BenchResult } from './result.js';
import { ServerSampler } from './server-sampler.js';
import type { ServerStats, Target } from './target.js';

/** A target whose /stats answers are given in order (the last one repeats). */
function targetAnswering(...answers: Partial<ServerStats>[]): Target {
  let i = 0;
  return {
    name: 'url',
    wsUrl: 'ws://127.0.0.1:1/ws',
    httpUrl: 'http://127.0.0.1:1',
    stats: async () => answers[Math.min(i++, answers.length - 1)] as ServerStats,
  } as unknown as Target;
}

const full = (cpu: number, rss: number): ServerStats => ({
  connections: 0,
  rooms: 0,
  rssBytes: rss,
  heapUsedBytes: 0,
  cpuUserMicros: cpu,
  cpuSystemMicros: 0,
  uptimeMs: 1,
});

describe('ServerSampler', () => {
  it('takes CPU per unit and the RSS peak from /stats', async () => {
    const sampler = new ServerSampler(targetAnswering(full(1_000, 10), full(5_000, 30)));
    await sampler.begin();
    const usage = await sampler.end(100);
    expect(usage?.cpuMicrosPerUnit).toBe(40);
    expect(usage?.rssBytesBefore).toBe(10);
    expect(usage?.rssBytesPeak).toBe(30);
    expect(usage?.unavailable).toBeUndefined();
    // the harness's own CPU over the same phase
    expect(usage?.loadGenerator?.cpuPct).toBeGreaterThanOrEqual(0);
    expect(usage?.loadGenerator?.saturated).toBe((usage?.loadGenerator?.cpuPct as number) >= 90);
  });

  it('marks a run whose load generator was saturated', () => {
    const text = formatResult({
      scenario: 'steady',
      target: 'b',
      unit: 'messages',
      total: 1,
      processingSeconds: 1,
      throughputPerSec: 1,
      latency: { count: 1, meanMs: 1, p50Ms: 1, p95Ms: 1, p99Ms: 1, maxMs: 1 },
      server: {
        cpuPct: 50,
        cpuMicrosPerUnit: 5,
        rssBytesBefore: 1,
        rssBytesPeak: 2,
        loadGenerator: { cpuPct: 97.5, saturated: true },
      },
      details: {},
      failures: [],
    } as unknown as BenchResult);
    expect(text).toContain("Load generator: CPU 97.5% of a core (SATURATED: the figures may be the generator's limit");
  });

  it('gives null, never NaN, for figures a /stats leaves out, and says why', async () => {
    const sampler = new ServerSampler(targetAnswering({ connections: 0, rooms: 0 }));
    await sampler.begin();
    const usage = await sampler.end(100);
    expect(usage).toMatchObject({ cpuPct: null, cpuMicrosPerUnit: null, rssBytesBefore: null, rssBytesPeak: null });
    expect(usage?.unavailable).toEqual([
      "CPU: the target's /stats has no cpuUserMicros and cpuSystemMicros numbers",
      "RSS: the target's /stats has no rssBytes number",
    ]);
    const text = formatResult({
      scenario: 'steady',
      target: 'url',
      unit: 'messages',
      total: 1,
      processingSeconds: 1,
      throughputPerSec: 1,
      latency: { count: 1, meanMs: 1, p50Ms: 1, p95Ms: 1, p99Ms: 1, maxMs: 1 },
      server: usage,
      details: {},
      failures: [],
    } as unknown as BenchResult);
    expect(text).toContain('Server: RSS n/a -> peak n/a MiB, CPU n/a% of a core, n/a µs per delivery');
    expect(text).toContain("Server figures n/a: CPU: the target's /stats has no cpuUserMicros");
    expect(text).not.toContain('NaN');
  });
});
