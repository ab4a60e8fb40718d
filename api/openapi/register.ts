import type Router from '@koa/router';
import type { z } from 'zod';
import { AppError } from '../../platform/errors';
import { readBody, parseJson } from '../middleware/body';
import { fromZod } from '../middleware/errors';
import type { Authenticator } from '../middleware/authenticate';
import type { Principal } from '../middleware/principal';
import type { RateLimits } from '../middleware/rate-limit';
import type { Idempotency } from '../middleware/idempotency';
import type { RouteDef } from './route';

const parse = <T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T => {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) throw fromZod(result.error, where);
  return result.data;
};

const ANONYMOUS: Principal = { kind: 'anonymous' };

/**
 * Mounts RouteDefs on the router: authenticate, authorise by principal kind (401 without a
 * credential, 403 with the wrong kind), count the request against its budgets (429), read the
 * body under the size limit, validate, run. Public routes never look at credentials: an
 * unrelated Authorization header (a proxy's, a webhook sender's) must not turn them into 401s.
 */
export function registerRoutes(
  router: Router,
  routes: RouteDef[],
  deps: { auth: Authenticator; maxBodyBytes: number; rateLimits: RateLimits; idempotency?: Idempotency },
) {
  for (const def of routes) {
    const koaPath = def.path.replace(/\{([^}]+)\}/g, ':$1');
    const budget = def.budget ?? 'api';
    router[def.method](koaPath, async (ctx) => {
      const principal = def.auth.length === 0 ? ANONYMOUS : await deps.auth.authenticate(ctx.get('authorization') || undefined, ctx.params.app_id);
      if (def.auth.length > 0 && !def.auth.includes(principal.kind as never)) {
        if (principal.kind === 'anonymous') throw new AppError('unauthorized', 'Missing credentials');
        throw new AppError('forbidden', `A ${principal.kind} credential cannot call ${def.method.toUpperCase()} ${def.path}`);
      }
      const limited = deps.rateLimits.byPrincipal(ctx, budget, principal);
      if (limited) await limited;
      const raw = ['post', 'put'].includes(def.method) ? await readBody(ctx, deps.maxBodyBytes) : Buffer.alloc(0);
      const params = parse(def.params, ctx.params, 'path');
      const query = parse(def.query, ctx.query, 'query');
      const body = def.rawBody ? raw : parse(def.body, def.body ? (parseJson(raw) ?? {}) : undefined, 'body');
      const forAccount = def.limitedAccount && deps.rateLimits.byAccount(ctx, budget, def.limitedAccount(body));
      if (forAccount) await forAccount;
      const run = () => def.handler({ params, query, body, principal, ctx });
      const result =
        def.idempotent && deps.idempotency
          ? await deps.idempotency(
              { principal, header: ctx.get('idempotency-key') || undefined, method: def.method, path: ctx.path, body, secrets: def.shownOnce },
              run,
            )
          : await run();
      ctx.status = result.status;
      for (const [k, v] of Object.entries(result.headers ?? {})) ctx.set(k, v);
      if (result.body !== undefined) ctx.body = result.body;
    });
  }
}
