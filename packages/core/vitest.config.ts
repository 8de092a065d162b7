import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'core',
    include: ['test/**/*.test.ts'],
    // Property tests run hundreds of cases: on two shared cores under load a few take longer
    // than vitest's 5 s default without anything being wrong.
    testTimeout: 30_000,
  },
});
