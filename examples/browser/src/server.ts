// Serves an agent over WebSocket and a page whose script (src/page.ts, bundled with esbuild) calls
// it, then opens the page in headless Chromium and checks what it shows. Set CHROMIUM to the
// browser binary if it is not /usr/bin/chromium. Exits non-zero if a step fails.
import { createServer } from 'node:http';
import { AgentServer, defineAgent, tool } from '@agentsocket/core';
import { wsServer } from '@agentsocket/ws';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const agent = defineAgent({
  name: 'greeter',
  tools: {
    greet: tool({
      input: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      async *handler({ name }, ctx) {
        yield 'hello';
        const where = await ctx.invokePeer<string>('whereAreYou', {}).result; // the browser serves a tool too
        return `hello, ${String(name)} (${where.value.includes('Chrome') ? 'Chromium' : 'somewhere'})`;
      },
    }),
  },
});

const bundle = await build({
  entryPoints: [new URL('./page.ts', import.meta.url).pathname],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  minify: true,
  write: false,
});
const script = bundle.outputFiles[0]?.text ?? '';
console.log(`page bundle: ${(script.length / 1024).toFixed(1)} KiB minified`);

const http = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><title>running</title><pre id="out"></pre><script type="module">${script}</script>`);
});
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
const server = await wsServer({ agentServer: new AgentServer(agent), server: http });
const address = http.address();
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log(`[page] ${m.text()}`));
  await page.goto(url);
  await page.waitForFunction(() => document.title !== 'running', undefined, { timeout: 60_000 });
  const shown = (await page.textContent('#out')) ?? '';
  console.log('the page shows:', shown);
  check((await page.title()) === 'done', 'the page connected and called the agent');
  check(shown === JSON.stringify({ chunks: ['hello'], value: 'hello, browser (Chromium)' }), 'a chunk, a question to the page, and the result');
} finally {
  await browser.close();
  await server.close();
  await new Promise<void>((resolve) => http.close(() => resolve()));
}

function check(ok: boolean, what: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) process.exitCode = 1;
}
