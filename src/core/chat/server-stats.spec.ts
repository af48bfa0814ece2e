import { afterEach, describe, expect, it, vi } from 'vitest';
import { HEALTH_BODY, serverStats } from './server-stats.js';

describe('serverStats', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('reports the counts given and the process figures, uptime in whole milliseconds', () => {
    vi.spyOn(process, 'memoryUsage').mockReturnValue({
      rss: 52_428_800,
      heapTotal: 30_000_000,
      heapUsed: 20_971_520,
      external: 1_000,
      arrayBuffers: 500,
    });
    vi.spyOn(process, 'cpuUsage').mockReturnValue({ user: 1_234_567, system: 89_012 });
    vi.spyOn(process, 'uptime').mockReturnValue(12.3456);
    expect(serverStats(3, 2)).toStrictEqual({
      connections: 3,
      rooms: 2,
      rssBytes: 52_428_800,
      heapUsedBytes: 20_971_520,
      cpuUserMicros: 1_234_567,
      cpuSystemMicros: 89_012,
      uptimeMs: 12_346,
    });
  });

  it('rounds the uptime to the nearest millisecond', () => {
    vi.spyOn(process, 'uptime').mockReturnValue(0.0014);
    expect(serverStats(0, 0).uptimeMs).toBe(1);
    vi.spyOn(process, 'uptime').mockReturnValue(0.0016);
    expect(serverStats(0, 0).uptimeMs).toBe(2);
  });

  it('gives non-negative integers from the real process', () => {
    const stats = serverStats(0, 0);
    expect(Object.keys(stats)).toEqual([
      'connections',
      'rooms',
      'rssBytes',
      'heapUsedBytes',
      'cpuUserMicros',
      'cpuSystemMicros',
      'uptimeMs',
    ]);
    for (const value of Object.values(stats)) {
      expect(Number.isInteger(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(0);
    }
    expect(stats.rssBytes).toBeGreaterThan(0);
  });
});

describe('HEALTH_BODY', () => {
  it('is exactly {"status":"ok"}', () => {
    expect(JSON.stringify(HEALTH_BODY)).toBe('{"status":"ok"}');
  });
});
