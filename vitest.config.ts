import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globals: true,
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // Installs (as root) or demands what the tests need, before any test runs: test/global-setup.ts.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    // The lab and Ceph tests drive real daemons and share the lab's names (namespaces, ports):
    // one test file at a time, which also keeps timings sane on a 2-core machine.
    fileParallelism: false,
    pool: 'forks',
  },
});
