import { describe, expect, it } from 'vitest';
import { type CpuProfile, packageOfScript, summariseProfile } from './cpu-profile.js';

const DIST = '/app/dist';

describe('packageOfScript', () => {
  it('names the package, the project folder, or Node', () => {
    expect(packageOfScript('file:///app/node_modules/@nestjs/core/router/x.js', DIST)).toBe('@nestjs/core');
    expect(packageOfScript('file:///app/node_modules/a/node_modules/rxjs/dist/cjs/x.js', DIST)).toBe('rxjs');
    expect(packageOfScript('file:///app/dist/core/limiter/limiter.js', DIST)).toBe('project: src/core');
    expect(packageOfScript('file:///app/dist/main.js', DIST)).toBe('project: src');
    expect(packageOfScript('node:internal/streams/readable', DIST)).toBe('Node.js (node:*)');
    expect(packageOfScript('file:///elsewhere/x.js', DIST)).toBe('other scripts');
    expect(packageOfScript('', DIST)).toBeUndefined();
  });
});

describe('summariseProfile', () => {
  // root -> nest handler -> a built-in constructor (no script); root -> GC; root -> idle
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '' }, children: [2, 4, 5, 6] },
      {
        id: 2,
        callFrame: { functionName: 'handle', url: 'file:///app/node_modules/@nestjs/core/x.js' },
        children: [3],
      },
      { id: 3, callFrame: { functionName: 'constructor', url: '' } },
      { id: 4, callFrame: { functionName: '(garbage collector)', url: '' } },
      { id: 5, callFrame: { functionName: '(idle)', url: '' } },
      { id: 6, callFrame: { functionName: 'decide', url: 'file:///app/dist/core/limiter.js' } },
    ],
    startTime: 1_000,
    endTime: 10_000,
    // at 2 000 (nest), 3 000 (constructor: nest's), 4 000 (GC), 5 000 (idle), 6 000 (core), 9 000 (core)
    samples: [2, 3, 4, 5, 6, 6],
    timeDeltas: [1_000, 1_000, 1_000, 1_000, 1_000, 3_000],
  };

  it("counts a built-in's time for its caller's package, and GC and idle apart", () => {
    const s = summariseProfile(profile, DIST);
    expect(s.covers).toBe('whole profile');
    expect(s.idleMs).toBe(1);
    expect(s.busyMs).toBe(7);
    expect(s.byPackage).toEqual([
      { name: 'project: src/core', selfMs: 4, pct: 57.1 },
      { name: '@nestjs/core', selfMs: 2, pct: 28.6 },
      { name: 'GC', selfMs: 1, pct: 14.3 },
    ]);
  });

  it('keeps to the measured phase, on the monotonic clock of the samples', () => {
    const s = summariseProfile(profile, DIST, { fromUs: 2_500, toUs: 6_500 });
    expect(s.covers).toBe('measured phase');
    expect(s.byPackage.map((p) => [p.name, p.selfMs])).toEqual([
      ['@nestjs/core', 1],
      ['GC', 1],
      ['project: src/core', 1],
    ]);
  });

  it('falls back to the whole profile when no sample is in the phase', () => {
    expect(summariseProfile(profile, DIST, { fromUs: 50_000, toUs: 60_000 }).covers).toBe('whole profile');
  });
});
