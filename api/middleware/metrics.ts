import type { Middleware } from 'koa';
import { httpRequestSeconds } from '../../platform/metrics';

/**
 * Request latency per method, route template (`/admin/accounts/:accountId`, never the raw path,
 * which would make a series per id) and final status. Mounted outside the error handler, so it
 * sees the status the client got: a 400 stays a 400.
 */
export function metricsMiddleware(): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      httpRequestSeconds.observe({ method: ctx.method, route, status: ctx.status }, (performance.now() - started) / 1000);
    }
  };
}
