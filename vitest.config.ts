import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    setupFiles: ['test/setup.ts'],
    // Many tests run guests or spawn the CLI; on a 2-core machine running test files in
    // parallel, 5 s (vitest's default) is not enough. Speed is checked by bench/, not here.
    testTimeout: 60_000,
  },
});
