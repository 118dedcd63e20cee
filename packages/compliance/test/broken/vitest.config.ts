import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Only for ../broken.test.ts, which runs broken.suite.ts in a child vitest.
export default defineConfig({
  resolve: { conditions: ['@agentsocket/source'] },
  ssr: { resolve: { conditions: ['@agentsocket/source'] } },
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['broken.suite.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
