/**
 * The differential fuzzer: fast-check generates sequences (arbitraries.ts), each runs on two or
 * more servers of the contracts side by side (runner.ts), and every server must answer as the
 * first, the reference. A failure shrinks to a minimal sequence and is reported with the seed
 * that reproduces it.
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

/** A server answered a sequence otherwise than the reference. */
export class Difference extends Error {
  constructor(reference: Target, a: readonly Observation[], other: Target, b: readonly Observation[]) {
    const at = Array.from({ length: Math.max(a.length, b.length) }, (_, i) => i).find(
      (i) => JSON.stringify(a[i]) !== JSON.stringify(b[i]),
    );
    const width = Math.max(reference.name.length, other.name.length) + 1;
    super(
      `answers differ at observation ${at}:\n` +
        `  ${`${reference.name}:`.padEnd(width)} ${JSON.stringify(a[at ?? 0])}\n` +
        `  ${`${other.name}:`.padEnd(width)} ${JSON.stringify(b[at ?? 0])}`,
    );
  }
}

/** Fuzzes every server of `targets` against the first, the reference: each sequence runs on all of them at once. */
export async function fuzz(targets: readonly Target[], options: FuzzOptions): Promise<FuzzResult> {
  const [reference, ...others] = targets;
  if (reference === undefined || others.length === 0) throw new Error('fuzz needs two servers or more');
  let done = 0;
  const tally: Record<string, number> = {};
  const count = (key: string) => (tally[key] = (tally[key] ?? 0) + 1);
  const property = fc.asyncProperty(sequence, async (s) => {
    const run = (done++).toString(36) + Math.random().toString(36).slice(2, 6);
    const [expected, ...answers] = await Promise.all(targets.map((target) => observe(target, s, run)));
    options.progress?.(done);
    for (const [i, answer] of answers.entries()) {
      if (JSON.stringify(answer) !== JSON.stringify(expected))
        throw new Difference(reference, expected as Observation[], others[i] as Target, answer);
    }
    for (const o of expected as Observation[]) {
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
