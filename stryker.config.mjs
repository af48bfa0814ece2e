// npm run mutate: mutation testing of the framework-free core with its unit specs (StrykerJS).
// The e2e suites, which cover the profiles and the Redis scripts, are not run here: they are too
// slow for one run per mutant (see README, Tests).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.unit.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'src/protocol/**/*.ts',
    'src/chat/core/**/*.ts',
    'src/limiter/algorithms/**/*.ts',
    'src/limiter/policy.ts',
    'src/limiter/limiter.ts',
    'src/limiter/decision-request.ts',
    'src/limiter/load-policies.ts',
    'src/limiter/memory-limiter.store.ts',
    'src/limiter/circuit-breaker.ts',
    'src/limiter/denied-cache.ts',
    'src/limiter/fallback-limiter.store.ts',
    'src/config/settings.ts',
    '!**/*.spec.ts',
  ],
  coverageAnalysis: 'perTest',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 95, low: 90, break: 90 },
  tempDirName: '.stryker-tmp',
  concurrency: 2,
};
