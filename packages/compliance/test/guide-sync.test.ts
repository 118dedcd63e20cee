// The example package of docs/writing-a-transport.md runs as guide-pipe.test.ts: this keeps the two in step.
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';

const read = (path: string) => readFile(new URL(path, import.meta.url), 'utf8');
/** The file's text without its leading comment lines, as printed in the guide. */
const body = (text: string) => text.replace(/^(\/\/.*\n)+/, '');

it('runs the transport and the fixture of docs/writing-a-transport.md exactly as printed', async () => {
  const guide = await read('../../../docs/writing-a-transport.md');
  const blocks = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks.length).toBeGreaterThanOrEqual(2);
  expect(body(await read('./guide-pipe/index.ts'))).toBe(blocks[0]);
  expect(body(await read('./guide-pipe.test.ts')).replace("from './guide-pipe/index.js'", "from '../src/index.js'")).toBe(blocks[1]);
});
