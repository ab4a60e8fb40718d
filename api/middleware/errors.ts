import type { Middleware } from 'koa';
import { ZodError } from 'zod';
import { AppError, type ErrorDetail } from '../../platform/errors';
import { StoreUnavailableError } from '../../platform/clickhouse/store';

/**
 * zod issues become details with their paths, so a client can point at the field. An unknown
 * field is reported on the object that holds it; the detail names the field itself.
 */
export const fromZod = (err: ZodError, where: string): AppError => {
  const details = err.issues.flatMap((i): (ErrorDetail & { path: (string | number)[] })[] => {
    const path = [where, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    if (i.code === 'unrecognized_keys') return i.keys.map((key) => ({ path: [...path, key], message: 'unknown field', code: i.code }));
    return [{ path, message: i.message, code: i.code }];
  });
  return new AppError('validation_failed', `Invalid ${where}: ${details.map((d) => `${d.path.join('.')}: ${d.message}`).join('; ')}`, details);
};

/** Turns every failure into the one error body (api/openapi/error-body.ts); bad input never becomes a 5xx. */
export function errorHandler(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      // The router leaves unserved requests empty: 404, or 405 with Allow when the path exists
      // but not for this method (501 when it has never heard of the method, such as TRACE or
      // QUERY). Both get the one error body; an existing path is a 405 whatever the method.
      const allow = ctx.response.get('Allow');
      const empty = ctx.body === undefined || ctx.body === null;
      if (empty && (ctx.status === 405 || ctx.status === 501) && allow) {
        throw new AppError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}; allowed: ${allow}`);
      }
      if (empty && (ctx.status === 404 || ctx.status === 501)) throw new AppError('not_found', `No route for ${ctx.method} ${ctx.path}`);
    } catch (err) {
      let appError: AppError;
      if (err instanceof AppError) appError = err;
      else if (err instanceof ZodError) appError = fromZod(err, 'body');
      else if (err instanceof StoreUnavailableError) appError = new AppError('unavailable', 'Usage store (ClickHouse) is unavailable; retry later');
      // Postgres class 22 (data exception: NUL in text, numeric overflow, bad cast) is always
      // input that passed validation but cannot be stored or compared: the client's fault.
      else if (/^22[0-9A-Z]{3}$/.test((err as { code?: string }).code ?? ''))
        appError = new AppError('bad_request', `Input cannot be processed: ${(err as Error).message}`);
      else if (isUnavailable(err)) appError = new AppError('unavailable', `A dependency is unavailable: ${(err as Error).message}`);
      else {
        ctx.state.log?.error({ err }, 'unhandled error');
        appError = new AppError('internal', 'Internal error');
      }
      ctx.status = appError.status;
      ctx.body = { error: { code: appError.code, message: appError.message, details: appError.details } };
      if (appError.code === 'unavailable') ctx.set('Retry-After', '5');
    }
  };
}

function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return ['ECONNREFUSED', 'ECONNRESET', '57P01', '57P03', 'ETIMEDOUT'].includes(code);
}
