import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'napster',
    include: ['test/**/*.test.ts'],
  },
});
