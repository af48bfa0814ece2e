/**
 * The Prometheus text format, read: a strict parser (it throws on a malformed exposition) and a
 * sum over matching samples. Shared by the tests (test/support/prometheus.ts) and the harness,
 * which reads a target's `limiter_redis_command_seconds` from its /metrics.
 */
export interface Sample {
  /** The sample's name, e.g. `limiter_redis_command_seconds_bucket`. */
  readonly name: string;
  /** Its family (the name in `# TYPE`), e.g. `limiter_redis_command_seconds`. */
  readonly family: string;
  readonly type: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Scrape {
  readonly samples: readonly Sample[];
  /** Family name → type, from the `# TYPE` lines. */
  readonly types: ReadonlyMap<string, string>;
  /** `name{labels}` → value, labels as written. */
  readonly byKey: ReadonlyMap<string, number>;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SUFFIXES = ['_bucket', '_count', '_sum', '_total', '_created', '_info'];

/** Parses the Prometheus text format strictly enough to catch a malformed exposition. */
export function parsePrometheus(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const byKey = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = new RegExp(`^# (HELP|TYPE) (${NAME}) (.+)$`).exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') types.set(meta[2] as string, meta[3] as string);
      continue;
    }
    // values as Go's ParseFloat reads them: NaN and Inf in any case (prom-client writes `Nan`)
    const sample = new RegExp(`^(${NAME})(\\{[^}]*\\})? (-?[0-9.e+-]+|nan|[+-]inf)$`, 'i').exec(line);
    if (!sample) throw new Error(`not Prometheus text: ${line}`);
    const name = sample[1] as string;
    const family = types.has(name)
      ? name
      : SUFFIXES.map((s) => (name.endsWith(s) ? name.slice(0, -s.length) : '')).find((f) => types.has(f));
    if (family === undefined) throw new Error(`sample without # TYPE: ${line}`);
    const labels = Object.fromEntries(
      [...(sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    const raw = (sample[3] as string).toLowerCase();
    const value = raw === 'nan' ? Number.NaN : raw === '+inf' ? Infinity : raw === '-inf' ? -Infinity : Number(raw);
    samples.push({ name, family, type: types.get(family) as string, labels, value });
    byKey.set(name + (sample[2] ?? ''), value);
  }
  return { samples, types, byKey };
}

/** The sum of every sample named `name` whose labels include `match`. */
export function sumOf(scrape: Scrape, name: string, match: Record<string, string> = {}): number {
  return scrape.samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
