/**
 * The unit specs alone, for mutation testing (stryker.config.mjs): the framework-free core's
 * specs beside the code, no e2e suite and no system program.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.spec.ts'],
  },
});
