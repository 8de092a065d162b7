import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'kelips',
    include: ['test/**/*.test.ts'],
  },
});
