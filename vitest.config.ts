import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Builds the dashboard when its sources changed: the browser tests serve the build.
    globalSetup: ['test/dashboard-build.ts'],
  },
});
