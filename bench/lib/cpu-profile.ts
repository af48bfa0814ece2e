/**
 * A V8 CPU profile (`node --cpu-prof`, the `.cpuprofile` Chrome DevTools and speedscope open)
 * summarised as self time by package: which library's own code the CPU was in. A sample in a
 * built-in with no script of its own (JSON.parse, a regexp) counts for the nearest caller that
 * has one, so the time lands on the library that asked for it; the garbage collector, V8's and
 * native code outside JavaScript (`(program)`) and idle time are their own lines.
 */

/** The parts of the `.cpuprofile` format read here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  /** Monotonic clock, µs. */
  startTime: number;
  endTime: number;
  /** The node each sample hit, and the µs since the previous sample. */
  samples: number[];
  timeDeltas: number[];
}

export interface PackageTime {
  /** `@nestjs/core`, `rxjs`, `project: src/core`, `Node.js (node:*)`, `GC`, `(program)`. */
  name: string;
  selfMs: number;
  /** Of the busy time (idle excluded). */
  pct: number;
}

export interface ProfileSummary {
  /** Busy time in the window (samples not idle), ms. */
  busyMs: number;
  idleMs: number;
  /** Whether the summary covers the measured phase only, or the whole profile (no window, or no sample in it). */
  covers: 'measured phase' | 'whole profile';
  byPackage: PackageTime[];
}

/** V8's own frames (a Map: a frame named `constructor` or `toString` is no property of it). */
const SPECIAL = new Map([
  ['(garbage collector)', 'GC'],
  ['(program)', '(program: V8 and native code)'],
]);

/**
 * The package a script belongs to: the name after the last `node_modules/` (scoped names whole),
 * `project: src/<folder>` for the project's own build output under `dist/`, `Node.js (node:*)`
 * for Node's own modules; undefined for a frame without a script.
 */
export function packageOfScript(url: string, projectDist: string): string | undefined {
  if (url === '') return undefined;
  if (url.startsWith('node:')) return 'Node.js (node:*)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [first, second] = url.slice(modules + '/node_modules/'.length).split('/');
    return first?.startsWith('@') ? `${first}/${second}` : (first as string);
  }
  const path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  if (path.startsWith(`${projectDist}/`)) {
    const [folder, rest] = path.slice(projectDist.length + 1).split('/');
    return `project: src/${rest === undefined ? '' : folder}`.replace(/\/$/, '');
  }
  return 'other scripts';
}

/**
 * Self time by package, over the samples taken between `window.fromUs` and `window.toUs` on the
 * monotonic clock the profile uses (process.hrtime in the harness), or over the whole profile.
 */
export function summariseProfile(
  profile: CpuProfile,
  projectDist: string,
  window?: { fromUs: number; toUs: number },
): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owner = new Map<number, string | null>();
  const ownerOf = (id: number): string | null => {
    const known = owner.get(id);
    if (known !== undefined) return known;
    const frame = (byId.get(id) as CpuProfile['nodes'][number]).callFrame;
    let name: string | null;
    if (frame.functionName === '(idle)') name = null;
    else if (SPECIAL.has(frame.functionName)) name = SPECIAL.get(frame.functionName) as string;
    else {
      const own = packageOfScript(frame.url, projectDist);
      const up = parent.get(id);
      name = own ?? (up === undefined ? '(program: V8 and native code)' : ownerOf(up));
    }
    owner.set(id, name);
    return name;
  };
  const tally = (from: number, to: number) => {
    const self = new Map<string, number>();
    let idle = 0;
    let at = profile.startTime;
    let counted = 0;
    profile.samples.forEach((id, i) => {
      const delta = profile.timeDeltas[i] ?? 0;
      at += delta;
      if (at < from || at > to) return;
      counted++;
      const name = ownerOf(id);
      if (name === null) idle += delta;
      else self.set(name, (self.get(name) ?? 0) + delta);
    });
    return { self, idle, counted };
  };
  let covers: ProfileSummary['covers'] = window ? 'measured phase' : 'whole profile';
  let t = tally(window?.fromUs ?? -Infinity, window?.toUs ?? Infinity);
  if (t.counted === 0) {
    covers = 'whole profile';
    t = tally(-Infinity, Infinity);
  }
  const busy = [...t.self.values()].reduce((a, b) => a + b, 0);
  const byPackage = [...t.self.entries()]
    .map(([name, us]) => ({
      name,
      selfMs: Math.round(us / 100) / 10,
      pct: busy ? Math.round((us / busy) * 1000) / 10 : 0,
    }))
    .sort((a, b) => b.selfMs - a.selfMs);
  return { busyMs: Math.round(busy / 1000), idleMs: Math.round(t.idle / 1000), covers, byPackage };
}
