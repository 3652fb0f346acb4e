import { defineConfig } from 'vitest/config';

// These tests pack, install and run whole programs: one file at a time, generous timeouts.
export default defineConfig({
  test: {
    include: ['src/**/*.test.mjs'],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 300_000,
  },
});
