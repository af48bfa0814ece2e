/**
 * Reading /metrics in tests: a strict parser of the Prometheus text format, and Prometheus' own
 * checker (`promtool check metrics`, Debian package prometheus).
 */
import { spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { programCommand } from './system-programs.js';

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

/**
 * What promtool finds in /metrics text besides the problems of prom-client's own default metrics,
 * which this project does not name: those three gauges carry `_total` (promtool: "non-counter
 * metrics should not have "_total" suffix"). Throws when the text does not parse.
 */
export const PROM_CLIENT_LINT = [
  'nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
];

export function promtoolProblems(text: string): string[] {
  const [promtool] = programCommand('promtool');
  const run = spawnSync(promtool as string, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  // 0: clean; 3: lint problems, one a line; anything else: the text did not parse
  if (run.status !== 0 && run.status !== 3)
    throw new Error(`promtool check metrics failed (${run.status}): ${run.stderr}${run.stdout}`);
  return `${run.stdout}${run.stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !PROM_CLIENT_LINT.includes(l));
}

/** GET `url` on a new connection (node:cluster hands each new connection to the next worker). */
export function getOnNewConnection(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    }).on('error', reject);
  });
}
