// npm run mutate: mutation testing of the framework-free core with its unit specs (StrykerJS).
// The e2e suites, which cover the profiles, the Redis scripts and the parts of the bus that talk
// to Redis (bus-link, bus-rooms), are too slow for one run per mutant: npm run mutate:e2e runs a
// listed set of mutants against them instead (README, Tests).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.unit.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'src/core/protocol/**/*.ts',
    'src/core/chat/**/*.ts',
    'src/core/bus/bus-ledger.ts',
    'src/core/bus/bus-protocol.ts',
    'src/core/bus/op-queue.ts',
    'src/core/limiter/algorithms/**/*.ts',
    'src/core/limiter/policy.ts',
    'src/core/limiter/limiter.ts',
    'src/core/limiter/request-rules.ts',
    'src/core/limiter/load-policies.ts',
    'src/core/limiter/memory-limiter.store.ts',
    'src/core/limiter/circuit-breaker.ts',
    'src/core/limiter/denied-cache.ts',
    'src/core/limiter/fallback-limiter.store.ts',
    'src/core/config/settings.ts',
    // Profile B's hand-written validation: framework-free too
    'src/baseline/validate.ts',
    'src/baseline/decision-request.ts',
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
