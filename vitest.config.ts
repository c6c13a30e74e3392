import { defineConfig } from 'vitest/config';

/**
 * The test tiers (README, "Tests"): unit tests of the pure core; infra tests of the
 * synthesized template; integration tests of each adapter through its port's contract
 * suite, against dynalite and AWS's DynamoDB Local; deployed tests, which run the
 * synthesized template's bundles as Lambda would against emulators; end-to-end tests of
 * `npm start` over real HTTP.
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
          name: 'deployed',
          include: ['test/deployed/**/*.test.ts'],
          globalSetup: ['test/deployed/synthesize.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
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
