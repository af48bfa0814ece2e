import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // e2e files start servers and measure nothing: running them one at a time keeps the two
    // cores free for the servers under test.
    fileParallelism: false,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
