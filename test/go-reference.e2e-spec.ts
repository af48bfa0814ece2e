/**
 * The Go reference server's own checks (reference/go, README "The Go reference"): gofmt and
 * go vet clean, and its Go tests (the limiter vectors of test/vectors/limiter.json replayed
 * through its algorithms, its message validation, ...) pass. The shared suites (contract, decision
 * API, differential fuzzer) run against it as the profile PROFILE_GO.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('the Go reference server', () => {
  it('is gofmt-formatted, vet-clean, and passes its Go tests', () => {
    const run = spawnSync(process.execPath, ['scripts/build-go.mjs', '--test'], { encoding: 'utf8', timeout: 300_000 });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    // every package has tests of its own, and ran them
    expect(run.stdout).toMatch(/^ok\s+chatbench\/chat\b/m);
    expect(run.stdout).toMatch(/^ok\s+chatbench\/limiter\b/m);
  }, 300_000);
});
