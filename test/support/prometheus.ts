/**
 * Reading /metrics in tests: the strict parser of the Prometheus text format (tools/), and
 * Prometheus' own checker (`promtool check metrics`, Debian package prometheus).
 */
import { spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { programCommand } from './system-programs.js';

export { parsePrometheus, type Sample, type Scrape, sumOf } from '../../tools/prometheus-text.js';

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
