import { createReadStream } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import type Router from '@koa/router';

const WEB = join(__dirname, '..', 'web');
const chartJs = join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');
const swaggerUi = (require('swagger-ui-dist') as { getAbsoluteFSPath(): string }).getAbsoluteFSPath();

/**
 * The browser pages: the billing dashboard at /app and the API reference at /docs. Static
 * files from web/ and the libraries from node_modules, so both work offline. A fixed table
 * rather than a static-file middleware: no part of a URL ever becomes a filesystem path.
 */
const FILES: Record<string, string> = {
  '/app': join(WEB, 'dashboard', 'index.html'),
  '/app/dashboard.css': join(WEB, 'dashboard', 'dashboard.css'),
  '/app/dashboard.js': join(WEB, 'dashboard', 'dashboard.js'),
  '/app/format.js': join(WEB, 'dashboard', 'format.js'),
  '/app/charts.js': join(WEB, 'dashboard', 'charts.js'),
  '/app/vendor/chart.umd.min.js': chartJs,
  '/docs': join(WEB, 'docs', 'index.html'),
  '/docs/docs.js': join(WEB, 'docs', 'docs.js'),
  '/docs/vendor/swagger-ui.css': join(swaggerUi, 'swagger-ui.css'),
  '/docs/vendor/swagger-ui-bundle.js': join(swaggerUi, 'swagger-ui-bundle.js'),
};

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

// Scripts only from this origin (no inline script, no CDN); inline styles for the libraries'
// own style attributes. No frame-ancestors: a platform may embed /app with a dashboard token.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";

export function registerPages(router: Router): void {
  for (const [path, file] of Object.entries(FILES)) {
    router.get(path, (ctx) => {
      ctx.type = TYPES[extname(file)] ?? 'application/octet-stream';
      ctx.set('Content-Security-Policy', CSP);
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('Cache-Control', 'no-cache');
      ctx.body = createReadStream(file);
    });
  }
}
