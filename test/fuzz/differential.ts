/**
 * The differential fuzzer: fast-check generates sequences (arbitraries.ts), each runs on two
 * servers of the contracts side by side (runner.ts), and their answers must be the same. A
 * failure shrinks to a minimal sequence and is reported with the seed that reproduces it.
 */
import fc from 'fast-check';
import { sequence } from './arbitraries.js';
import { type Observation, observe, type Target } from './runner.js';

export interface FuzzOptions {
  readonly runs: number;
  readonly seed: number;
  /** Stop generating after this long, even if `runs` are not done. */
  readonly timeLimitMs?: number;
  /** Called after each sequence with the number run so far. */
  readonly progress?: (done: number) => void;
}

export interface FuzzResult {
  readonly runs: number;
  /** What the answers held, to show what the run reached: frame types and error codes, close codes, HTTP statuses. */
  readonly tally: Readonly<Record<string, number>>;
  readonly failed: boolean;
  /** fast-check's report: the counterexample, the seed and path that reproduce it, the difference. */
  readonly report: string;
}

/** Two servers answered a sequence differently. */
export class Difference extends Error {
  constructor(a: readonly Observation[], b: readonly Observation[]) {
    const at = Array.from({ length: Math.max(a.length, b.length) }, (_, i) => i).find(
      (i) => JSON.stringify(a[i]) !== JSON.stringify(b[i]),
    );
    super(
      `answers differ at observation ${at}:\n  first:  ${JSON.stringify(a[at ?? 0])}\n  second: ${JSON.stringify(b[at ?? 0])}`,
    );
  }
}

/** Fuzzes server `a` against server `b`. */
export async function fuzz(a: Target, b: Target, options: FuzzOptions): Promise<FuzzResult> {
  let done = 0;
  const tally: Record<string, number> = {};
  const count = (key: string) => (tally[key] = (tally[key] ?? 0) + 1);
  const property = fc.asyncProperty(sequence, async (s) => {
    const run = (done++).toString(36) + Math.random().toString(36).slice(2, 6);
    const [fromA, fromB] = await Promise.all([observe(a, s, run), observe(b, s, run)]);
    options.progress?.(done);
    if (JSON.stringify(fromA) !== JSON.stringify(fromB)) throw new Difference(fromA, fromB);
    for (const o of fromA) {
      if ('http' in o)
        count(
          `http ${o.http.status}${(o.http.body as { error?: string }).error ? ` ${(o.http.body as { error: string }).error}` : ''}`,
        );
      else {
        for (const f of o.frames as { type?: string; code?: string }[])
          count(f.code ? `error ${f.code}` : `frame ${f.type}`);
        if (o.closed !== undefined) count(`close ${o.closed}`);
      }
    }
  });
  const details = await fc.check(property, {
    numRuns: options.runs,
    seed: options.seed,
    ...(options.timeLimitMs === undefined ? {} : { interruptAfterTimeLimit: options.timeLimitMs }),
  });
  const error = details.errorInstance instanceof Error ? `\n${details.errorInstance.message}` : '';
  return {
    runs: details.numRuns,
    tally,
    failed: details.failed,
    report: (fc.defaultReportMessage(details) ?? '') + error,
  };
}
