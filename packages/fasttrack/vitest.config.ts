import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'fasttrack',
    include: ['test/**/*.test.ts'],
    // Simulated time: a test is slow only when the machine is busy (CI's 2 cores, shared).
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
