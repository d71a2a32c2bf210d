/**
 * `npm run test:web`: the end-to-end test of the browser front end, kept
 * out of `npm test`'s vitest run (its files end in .e2e.ts, not .test.ts)
 * because it needs Chromium. One file at a time: it starts a server and a
 * browser of its own.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/web/**/*.e2e.ts'],
    globalSetup: ['test/web/global-setup.ts'],
    fileParallelism: false,
    // Booting Linux in a browser takes minutes, not seconds (the Linux scenario's own bound is 8 minutes).
    testTimeout: 10 * 60_000,
    hookTimeout: 2 * 60_000,
  },
});
