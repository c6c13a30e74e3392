import { defineConfig } from 'vitest/config';

/**
 * Three tiers (ARCHITECTURE.md): unit tests of the pure core; integration tests of each
 * adapter through its port's contract suite, against dynalite and AWS's DynamoDB Local;
 * end-to-end tests of `npm start` over real HTTP.
 */
export default defineConfig({
  test: {
    passWithNoTests: false,
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 90_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 90_000,
          hookTimeout: 90_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
