import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'pastry',
    include: ['test/**/*.test.ts'],
  },
});
