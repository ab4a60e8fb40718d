import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { defineRoute, type RouteDef } from '../openapi/route';
import { errorBody } from '../openapi/error-body';
import { registry } from '../../platform/metrics';

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T | false> =>
  Promise.race([p, new Promise<false>((resolve) => setTimeout(() => resolve(false), ms).unref())]);

const probe = async (fn: () => Promise<unknown>) => {
  try {
    return (await withTimeout(fn(), 2_000)) !== false;
  } catch {
    return false;
  }
};

const checks = z.object({ postgres: z.boolean(), clickhouse: z.boolean(), temporal: z.boolean() });
const readyBody = z
  .object({ status: z.literal('ready'), checks })
  .meta({ examples: [{ status: 'ready', checks: { postgres: true, clickhouse: true, temporal: true } }] });
const notReadyBody = errorBody.extend({ checks });

export function healthRoutes(deps: ApiDeps): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      summary: 'Liveness: the process answers',
      tag: 'operations',
      auth: [],
      responses: { 200: { description: 'alive', schema: z.object({ status: z.literal('ok') }) } },
      handler: async () => ({ status: 200, body: { status: 'ok' } }),
    }),
    defineRoute({
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: Postgres, ClickHouse and Temporal answer',
      tag: 'operations',
      auth: [],
      responses: { 200: { description: 'ready', schema: readyBody }, 503: { description: 'a dependency is down', schema: notReadyBody } },
      handler: async () => {
        const [postgres, clickhouse, temporal] = await Promise.all([
          probe(() => deps.db.query('SELECT 1')),
          probe(async () => {
            if (!(await deps.store.ping())) throw new Error('ping failed');
          }),
          probe(async () => {
            if (!(await deps.temporalHealthy())) throw new Error('down');
          }),
        ]);
        const checks = { postgres, clickhouse, temporal };
        const down = Object.entries(checks)
          .filter(([, ok]) => !ok)
          .map(([name]) => name);
        if (down.length === 0) return { status: 200, body: { status: 'ready', checks } };
        return {
          status: 503,
          body: {
            error: {
              code: 'unavailable',
              message: `Not ready: ${down.join(', ')} unavailable`,
              details: down.map((d) => ({ path: [d], message: 'unavailable' })),
            },
            checks,
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics',
      tag: 'operations',
      auth: [],
      responses: { 200: { description: 'Prometheus text exposition format', contentType: registry.contentType } },
      handler: async ({ ctx }) => {
        ctx.type = registry.contentType;
        return { status: 200, body: await registry.metrics() };
      },
    }),
  ];
}
