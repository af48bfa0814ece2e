#!/usr/bin/env node
/**
 * npm run fuzz -- [--runs N] [--seed S] [--minutes M] [--targets URL,URL,...]
 *
 * The differential fuzzer of the test suite (test/differential.e2e-spec.ts), run longer: N
 * sequences (default 10000) from seed S (default: a new one, printed), for at most M minutes if
 * given; against Profile B, Profile A on Express, Profile A on Fastify and the Go reference server
 * built from this checkout (fresh processes, the same settings; each must answer as B), or against two or more running
 * servers that claim the contracts (`--targets http://127.0.0.1:3000,http://127.0.0.1:4000`, the
 * first the reference; each must have the fuzzer's policies loaded, see the spec file). A failure
 * prints the smallest sequence found and the seed that reproduces it.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const usage = 'usage: npm run fuzz -- [--runs N] [--seed S] [--minutes M] [--targets URL,URL,...]\n';
let values;
try {
  ({ values } = parseArgs({
    options: {
      runs: { type: 'string' },
      seed: { type: 'string' },
      minutes: { type: 'string' },
      targets: { type: 'string' },
    },
  }));
} catch (err) {
  process.stderr.write(`${err.message}\n${usage}`);
  process.exit(2);
}
const runs = Number(values.runs ?? 10_000);
const seed = Number(values.seed ?? Math.floor(Math.random() * 2 ** 31));
const minutes = Number(values.minutes ?? 0);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed) || !(minutes >= 0)) {
  process.stderr.write(usage);
  process.exit(2);
}
if (!values.targets) {
  for (const script of ['build', 'build:go']) {
    const build = spawnSync('npm', ['run', script, '--silent'], { stdio: 'inherit' });
    if (build.status !== 0) process.exit(build.status ?? 1);
  }
}
process.stdout.write(`fuzz: ${runs} sequences from seed ${seed}${minutes > 0 ? `, at most ${minutes} min` : ''}\n`);
const env = {
  ...process.env,
  FUZZ_RUNS: String(runs),
  FUZZ_SEED: String(seed),
  FUZZ_TIME_LIMIT_MS: String(Math.round(minutes * 60_000)),
  ...(values.targets ? { FUZZ_TARGETS: values.targets } : {}),
};
const run = spawnSync('npx', ['vitest', 'run', 'test/differential.e2e-spec.ts'], { stdio: 'inherit', env });
process.exit(run.status ?? 1);
