#!/usr/bin/env node
/**
 * npm run mutate:e2e [-- --only ID,ID | --check]: a mutation pass over the code only the e2e suites cover
 * (the profiles, gateway, guard, pipes, filters, the Redis scripts, the bus, the harness's
 * surfaces). Each mutant in scripts/e2e-mutants.json is one small plausible bug: it is applied to
 * the source, the project is built, the e2e spec files that cover it run, and the source is
 * restored. A mutant is killed when those tests fail. Runs one mutant at a time (each starts
 * servers); about a minute each. Prints a line per mutant and the score; writes
 * reports/mutation-e2e.json. `--check` only checks that the list still applies to the code (part
 * of `npm run lint`, so that a change that moves a mutated line updates the list with it).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const mutants = JSON.parse(readFileSync(new URL('./e2e-mutants.json', import.meta.url), 'utf8'));
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? new Set(process.argv[onlyArg + 1].split(',')) : undefined;
const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };

const run = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 256 * 2 ** 20 });

/** A mutant's edits: `find` → `replace`, and any `also` pairs it needs to build (an import). */
const edits = (m) => [[m.find, m.replace], ...(m.also ?? [])];

// every id names one mutant, and every edit must apply to exactly one place, or the list is
// stale: check them all first
const ids = mutants.map((m) => m.id);
const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
if (twice.length > 0) throw new Error(`ids used twice: ${twice.join(', ')}`);
for (const m of mutants) {
  const source = readFileSync(m.file, 'utf8');
  for (const [find] of edits(m)) {
    const count = source.split(find).length - 1;
    if (count !== 1) throw new Error(`${m.id}: ${m.file} has ${count} places for ${JSON.stringify(find)}`);
  }
}

if (process.argv.includes('--check')) {
  process.stdout.write(`scripts/e2e-mutants.json: ${mutants.length} mutants, each applies to one place\n`);
  process.exit(0);
}

const results = [];
for (const m of mutants) {
  if (only && !only.has(m.id)) continue;
  const original = readFileSync(m.file, 'utf8');
  const started = Date.now();
  let outcome;
  try {
    writeFileSync(
      m.file,
      edits(m).reduce((source, [find, replace]) => source.replace(find, replace), original),
    );
    const build = run('npm', ['run', 'build', '--silent']);
    if (build.status !== 0) {
      outcome = 'build error';
    } else {
      const tests = run('npx', ['vitest', 'run', ...m.tests]);
      const summary = `${tests.stdout}`.match(/^(\d+) passed, (\d+) failed/m);
      outcome = tests.status !== 0 ? 'killed' : 'survived';
      if (summary && tests.status !== 0 && Number(summary[2]) === 0) outcome = 'killed (run error)';
    }
  } finally {
    writeFileSync(m.file, original);
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  results.push({ id: m.id, what: m.what, outcome, seconds });
  process.stdout.write(`${m.id.padEnd(6)} ${outcome.padEnd(18)} ${String(seconds).padStart(4)} s  ${m.what}\n`);
}
run('npm', ['run', 'build', '--silent']);
const killed = results.filter((r) => r.outcome.startsWith('killed')).length;
process.stdout.write(
  `\n${killed} of ${results.length} mutants killed (${((killed / results.length) * 100).toFixed(1)}%)\n`,
);
for (const r of results.filter((x) => !x.outcome.startsWith('killed')))
  process.stdout.write(`  ${r.outcome}: ${r.id} ${r.what}\n`);
mkdirSync('reports', { recursive: true });
writeFileSync('reports/mutation-e2e.json', `${JSON.stringify({ killed, total: results.length, results }, null, 2)}\n`);
process.exit(killed === results.length ? 0 : 1);
