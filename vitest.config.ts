import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globals: true,
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    // The lab and Ceph tests drive real daemons: never run two of them at once on a 2-core machine.
    fileParallelism: true,
    pool: 'forks',
  },
});
