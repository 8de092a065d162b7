import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'bittorrent',
    include: ['test/**/*.test.ts'],
  },
});
