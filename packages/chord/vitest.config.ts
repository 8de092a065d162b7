import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'chord',
    include: ['test/**/*.test.ts'],
  },
});
