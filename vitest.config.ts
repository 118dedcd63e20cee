import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One project per workspace folder, so `vitest run --project core` works from a package too.
const root = fileURLToPath(new URL('.', import.meta.url));
const folders = ['packages', 'apps'].flatMap((group) =>
  existsSync(`${root}${group}`) ? readdirSync(`${root}${group}`).map((name) => ({ group, name })) : [],
);

export default defineConfig({
  resolve: { conditions: ['@agentsocket/source'] },
  ssr: { resolve: { conditions: ['@agentsocket/source'] } },
  test: {
    projects: folders.map(({ group, name }) => ({
      extends: true,
      test: {
        name,
        root: `${root}${group}/${name}`,
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        testTimeout: 30_000,
        hookTimeout: 30_000,
      },
    })),
  },
});
