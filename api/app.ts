import Koa from 'koa';
import Router from '@koa/router';
import type { ApiDeps } from './deps';
import { requestContext } from './middleware/request-context';
import { errorHandler } from './middleware/errors';
import { createAuthenticator, type Authenticator } from './middleware/authenticate';
import { registerRoutes } from './openapi/register';
import { buildOpenApi } from './openapi/document';
import { allRoutes } from './routes';
import { metricsMiddleware } from './middleware/metrics';
import { registerPages } from './pages';
import { createRateLimits } from './middleware/rate-limit';
import { createIdempotency } from './middleware/idempotency';

const API_DESCRIPTION = [
  'Billing and usage metering: platform plans with metered limits, and app monetisation through Stripe Connect.',
  'Every route takes `Authorization: Bearer <credential>`; the kind of credential decides what it may call (see Authorize).',
  'Errors answer `{"error": {"code", "message", "details": [{"path", "message", "code"}]}}`; another tenant\'s object is a 404.',
  'Account owners see their billing in the browser at [/app](/app).',
].join('\n\n');

/** The Koa app, without listen(): bin/api.ts serves it, tests drive it on an ephemeral port. */
export function createApp(deps: ApiDeps): Koa & { auth: Authenticator } {
  const app = new Koa({ proxy: false });
  const router = new Router();
  const auth = createAuthenticator(deps.db, deps.config.ADMIN_TOKEN);
  const routes = allRoutes(deps, auth);
  const openapi = buildOpenApi(routes, { title: 'Tollbooth billing and metering API', version: '0.1.0', description: API_DESCRIPTION });
  router.get('/openapi.json', (ctx) => {
    ctx.body = openapi;
  });
  registerPages(router);
  registerRoutes(router, routes, {
    auth,
    maxBodyBytes: deps.config.MAX_BODY_BYTES,
    rateLimits: createRateLimits(deps.config),
    idempotency: createIdempotency(deps.db),
  });
  app.use(requestContext(deps.logger));
  app.use(metricsMiddleware()); // outside errorHandler: it must see the status errors become
  app.use(errorHandler());
  app.use(router.routes());
  app.use(router.allowedMethods());
  // A client that hangs up (or is cut for being slow) mid-request is the client's business:
  // a warning in the request's log, not Koa's default stack trace on stderr.
  app.on('error', (err: Error, ctx?: Koa.Context) => (ctx?.state.log ?? deps.logger).warn({ err: err.message }, 'request aborted'));
  return Object.assign(app, { auth });
}
