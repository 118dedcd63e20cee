import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentServer } from '@agentsocket/core';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WsServer, wsServer } from '../src/index.js';
import { testAgent } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const onCi = process.env['CI'] === 'true';

if (!hasChromium && !onCi) {
  console.warn(
    `\n!!! @agentsocket/ws browser test SKIPPED: ${CHROMIUM} not found.\n` +
      '!!! Install it with `apt-get update && apt-get install -y chromium` to run it.\n',
  );
}

describe('browser client in Chromium', () => {
  it.runIf(!hasChromium && onCi)('needs Chromium on CI', () => {
    expect.fail(`${CHROMIUM} is missing and CI=true: install it with apt-get install -y chromium`);
  });

  describe.runIf(hasChromium)('bundled with the browser condition', () => {
    const http = createServer();
    const seen: Array<{ token: string | undefined; authorization: unknown }> = [];
    let browser: Browser | undefined;
    let endpoint: WsServer | undefined;
    let origin = '';
    let script = '';
    /** Bundle files by URL path, and the ones the page asked for. */
    const files = new Map<string, string>();
    const requested: string[] = [];

    beforeAll(async () => {
      // Split as an application's bundler splits it: the JSON Schema validator is a chunk of its own.
      const bundle = await build({
        entryPoints: [fileURLToPath(new URL('./browser/entry.ts', import.meta.url))],
        bundle: true,
        write: false,
        splitting: true,
        outdir: fileURLToPath(new URL('./.browser-bundle/', import.meta.url)),
        entryNames: 'bundle',
        platform: 'browser',
        format: 'esm',
        target: 'es2022',
        conditions: ['@agentsocket/source', 'browser'],
        logLevel: 'silent',
      });
      for (const file of bundle.outputFiles) files.set(`/${basename(file.path)}`, file.text);
      script = [...files.values()].join('\n');
      http.on('request', (req, res) => {
        const file = files.get(req.url ?? '');
        if (file !== undefined) {
          requested.push(req.url ?? '');
          res.writeHead(200, { 'Content-Type': 'text/javascript' });
          res.end(file);
        } else {
          res.writeHead(200, { 'Content-Type': 'text/html' });
          res.end('<!doctype html><script type="module" src="/bundle.js"></script>');
        }
      });
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      const agentServer = new AgentServer(testAgent(), {
        authenticate: (token, info) => {
          seen.push({ token, authorization: info.headers?.['authorization'] });
          return token === 'browser-secret' ? { id: 'browser-user' } : undefined;
        },
      });
      // The page and the agent share one origin: the ASP endpoint is attached to the page's server.
      endpoint = await wsServer({ agentServer, server: http });
      origin = `http://127.0.0.1:${endpoint.address()?.port}`;
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
    });

    afterAll(async () => {
      await browser?.close();
      await endpoint?.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    });

    it('resolves @agentsocket/ws to the browser client, without the Node ws library', () => {
      // esbuild marks each bundled module with a path comment.
      expect(script).toContain('// packages/ws/src/client.browser.ts');
      expect(script).not.toContain('// packages/ws/src/socket-transport.ts');
      expect(script).not.toContain('ws does not work in the browser');
    });

    it('connects with a token in HELLO, invokes a streaming tool and reports the chunks', async () => {
      if (!browser || !endpoint) throw new Error('setup failed');
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => 'aspBrowserTest' in globalThis);
      const report = await page.evaluate(
        async ([url, token]) => {
          const run: unknown = Reflect.get(globalThis, 'aspBrowserTest');
          if (typeof run !== 'function') throw new Error('the bundle did not load');
          const out: unknown = await run(url, token);
          return String(out);
        },
        [endpoint.url ?? '', 'browser-secret'],
      );
      expect(problems).toEqual([]);
      const parsed: unknown = JSON.parse(report);
      expect(parsed).toMatchObject({
        chunks: ['streamed', 'into', 'a', 'browser'],
        result: { words: 4 },
        who: 'browser-user',
        sessionId: expect.stringMatching(/^[0-9A-Z]{26}$/),
      });
      // The browser could not send a header: the token came in HELLO.
      expect(seen).toEqual([{ token: 'browser-secret', authorization: undefined }]);
      await page.close();
    });

    it('loads the JSON Schema validator only for a client tool with a JSON Schema, and validates with it', async () => {
      if (!browser || !endpoint) throw new Error('setup failed');
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => 'aspBrowserSchemaTest' in globalThis);
      const validatorChunk = [...files.keys()].find((path) => /^\/schema-json-.*\.js$/.test(path));
      expect(validatorChunk).toBeDefined();
      // The first test's page connected and called without it.
      expect(requested.filter((path) => path === validatorChunk)).toEqual([]);
      const report = await page.evaluate(
        async ([url, token]) => {
          const run: unknown = Reflect.get(globalThis, 'aspBrowserSchemaTest');
          if (typeof run !== 'function') throw new Error('the bundle did not load');
          return String(await run(url, token));
        },
        [endpoint.url ?? '', 'browser-secret'],
      );
      expect(problems).toEqual([]);
      expect(JSON.parse(report)).toEqual({ result: { answer: 'the blue one, to "which one?"' } });
      expect(requested).toContain(validatorChunk);
      await page.close();
    });
  });
});
