import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // e2e files start servers and measure nothing: running them one at a time keeps the two
    // cores free for the servers under test.
    fileParallelism: false,
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      // `vitest run --project unit`: the specs beside the code, no system program needed
      { extends: true, test: { name: 'unit', include: ['src/**/*.spec.ts', 'bench/**/*.spec.ts'] } },
      // real processes over real sockets; redis-server, nginx, a compose client and promtool are
      // found or installed first (test/support/system-programs.ts)
      {
        extends: true,
        test: { name: 'e2e', include: ['test/**/*.e2e-spec.ts'], globalSetup: ['test/support/global-setup.ts'] },
      },
    ],
  },
});
