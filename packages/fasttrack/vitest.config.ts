import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'fasttrack',
    include: ['test/**/*.test.ts'],
  },
});
