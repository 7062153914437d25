import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globals: true,
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // First what the tests need of the machine (test/system-deps-setup.ts: installs as root or stops
    // with the command to run), then the list of skipped suites (test/global-setup.ts).
    globalSetup: ['test/system-deps-setup.ts', 'test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    // The lab and Ceph tests drive real daemons and share the lab's names (namespaces, ports):
    // one test file at a time, which also keeps timings sane on a 2-core machine.
    fileParallelism: false,
    pool: 'forks',
  },
});
