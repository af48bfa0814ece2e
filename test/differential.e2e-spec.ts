/**
 * The differential fuzzer (test/fuzz/) in the suite: generated sequences of WebSocket frames and
 * HTTP decision requests run on Profile B, Profile A on Express and Profile A on Fastify side by
 * side, and each A must answer every sequence exactly as B, the reference (docs/CONTRACT.md,
 * docs/LIMITER.md). `npm test` runs a fixed seed for 45 s; `npm run fuzz -- --runs N --seed S
 * [--targets URL,URL,...]` (scripts/fuzz.mjs) runs longer, or against other servers started with
 * the settings below (the first is the reference).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzz } from './fuzz/differential.js';
import type { Target } from './fuzz/runner.js';
import { PROFILE_A, PROFILE_A_FASTIFY, PROFILE_B, PROFILE_GO, ServerProcess } from './support/server-process.js';

const env = process.env;
const RUNS = Number(env.FUZZ_RUNS ?? 1_000_000);
const SEED = Number(env.FUZZ_SEED ?? 20261129);
const TIME_LIMIT_MS = Number(env.FUZZ_TIME_LIMIT_MS ?? (env.FUZZ_RUNS ? 0 : 45_000));

const POLICIES_FILE = fileURLToPath(new URL('./fuzz/policies.yaml', import.meta.url));
/**
 * The same settings for every server (and for `--targets` servers): test/fuzz/policies.yaml; a
 * connection's bucket of 20 refills 1 token/s, too slow to matter within a sequence.
 */
const SETTINGS = { POLICIES_FILE, RATE_LIMIT_CAPACITY: '20', RATE_LIMIT_REFILL_PER_SEC: '1', LOG_LEVEL: 'warn' };

function target(name: string, httpUrl: string): Target {
  const url = new URL(httpUrl);
  return { name, httpUrl: url.origin, wsUrl: `${url.protocol === 'https:' ? 'wss' : 'ws'}://${url.host}/ws` };
}

/** The reference first, then every server held to it. */
const PROFILES = [PROFILE_B, PROFILE_A, PROFILE_A_FASTIFY, PROFILE_GO];

describe('differential fuzzer', () => {
  const servers: ServerProcess[] = [];
  let targets: Target[];

  beforeAll(async () => {
    if (env.FUZZ_TARGETS) {
      const urls = env.FUZZ_TARGETS.split(',');
      if (urls.length < 2 || urls.some((url) => url === '')) {
        throw new Error('FUZZ_TARGETS must be two URLs or more: http://host:port,http://host:port');
      }
      targets = urls.map((url) => target(url, url));
      return;
    }
    for (const profile of PROFILES) servers.push(await ServerProcess.start(profile, SETTINGS));
    targets = PROFILES.map((profile, i) => target(profile.name, (servers[i] as ServerProcess).httpUrl));
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it(
    'gives the same answers from every server to every generated sequence',
    async () => {
      const started = Date.now();
      const result = await fuzz(targets, {
        runs: RUNS,
        seed: SEED,
        ...(TIME_LIMIT_MS > 0 ? { timeLimitMs: TIME_LIMIT_MS } : {}),
        progress: (done) => {
          if (done % 1000 === 0)
            process.stderr.write(`fuzz: ${done} sequences, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
        },
      });
      process.stderr.write(
        `fuzz: ${result.runs} sequences, seed ${SEED}, ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
      );
      const tally = Object.entries(result.tally).sort(([a], [b]) => a.localeCompare(b));
      process.stderr.write(`fuzz: answers seen: ${tally.map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
      if (result.failed) throw new Error(result.report);
      expect(result.runs).toBeGreaterThan(0);
    },
    TIME_LIMIT_MS > 0 ? TIME_LIMIT_MS + 60_000 : 24 * 3_600_000,
  );
});
