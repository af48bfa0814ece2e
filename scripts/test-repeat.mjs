#!/usr/bin/env node
/**
 * npm run test:repeat -- N: builds once, then runs the whole suite N times in a row, each in a new
 * Vitest process, and says how each run ended. A test that fails only sometimes shows up here;
 * the log of every failed run is kept. Exit code 1 when any run failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = Number(process.argv[2] ?? '20');
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write('usage: npm run test:repeat -- N   (N runs of the whole suite, N >= 1)\n');
  process.exit(2);
}
const build = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const logs = mkdtempSync(join(tmpdir(), 'test-repeat-'));
let failed = 0;
for (let i = 1; i <= runs; i++) {
  const started = Date.now();
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  const run = spawnSync('npx', ['vitest', 'run'], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20, env });
  const output = `${run.stdout}${run.stderr}`;
  const summary = output.match(/^\d+ passed, \d+ failed.*$/m)?.[0] ?? 'no summary line';
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (run.status === 0) {
    process.stdout.write(`run ${i}/${runs}: ${summary} (${seconds} s)\n`);
  } else {
    failed++;
    const log = join(logs, `run-${i}.log`);
    writeFileSync(log, output);
    const failures = [...new Set(output.match(/^ *(?:FAIL|×) .*$/gm) ?? [])].map((l) => `    ${l.trim()}`).join('\n');
    process.stdout.write(`run ${i}/${runs}: FAILED: ${summary} (${seconds} s), log ${log}\n${failures}\n`);
  }
}
process.stdout.write(`${runs} runs: ${runs - failed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
