import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { dashboardHtml } from './html.js';

export const DASHBOARD_PATH = '/dashboard';
const SCRIPT_PATH = '/dashboard.js';

/**
 * Serves the dashboard: `GET /dashboard` (the page) and `GET /dashboard.js` (page.ts with the
 * browser builds of @agentsocket/core and @agentsocket/ws, bundled by esbuild on first request
 * and kept). Returns false for any other path.
 */
export function dashboardHandler(nodeId: string): (req: IncomingMessage, res: ServerResponse) => boolean {
  let bundle: Promise<string> | undefined;
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === DASHBOARD_PATH || path === `${DASHBOARD_PATH}/`) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(dashboardHtml(nodeId));
      return true;
    }
    if (path !== SCRIPT_PATH) return false;
    bundle ??= bundlePage().catch((error: unknown) => {
      bundle = undefined;
      throw error;
    });
    bundle.then(
      (js) => {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
        res.end(js);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`dashboard script failed to build: ${error instanceof Error ? error.message : String(error)}\n`);
      },
    );
    return true;
  };
}

async function bundlePage(): Promise<string> {
  // page.ts when run from source (tsx), page.js in dist.
  const ts = fileURLToPath(new URL('./page.ts', import.meta.url));
  const entry = existsSync(ts) ? ts : fileURLToPath(new URL('./page.js', import.meta.url));
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    minify: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    conditions: ['@agentsocket/source', 'browser'],
    logLevel: 'silent',
  });
  return out.outputFiles[0]?.text ?? '';
}
