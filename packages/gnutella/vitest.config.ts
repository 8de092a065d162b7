import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'gnutella',
    include: ['test/**/*.test.ts'],
  },
});
