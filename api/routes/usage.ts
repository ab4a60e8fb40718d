import type { ApiDeps } from '../deps';
import { defineRoute, type RouteDef } from '../openapi/route';
import { AppError } from '../../platform/errors';
import type { Principal } from '../middleware/principal';
import * as s from './usage.schemas';

const tag = 'usage';

const requireScope = (principal: Principal) => {
  if (principal.kind !== 'service' || !principal.scopes.includes('usage:write')) {
    throw new AppError('forbidden', 'A service key with scope usage:write is required');
  }
};

export function usageRoutes(deps: ApiDeps): RouteDef[] {
  return [
    defineRoute({
      method: 'post', path: '/v1/usage/events', summary: 'Ingest up to 10,000 usage events, exactly once per (accountId, id)', tag, auth: ['service'],
      body: s.ingestBody, documentedBody: s.ingestBodyDoc,
      responses: { 200: { description: 'stored durably; per-event outcome', schema: s.ingestResponse }, 503: { description: 'the usage store is down; retry the same batch' } },
      handler: async ({ body, principal }) => {
        requireScope(principal);
        return { status: 200, body: await deps.ingestor.ingest(body.events) };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/usage/check', summary: 'May this account use `amount` more of a meter? Reserves it when allowed', tag, auth: ['service'],
      body: s.checkBody,
      responses: { 200: { description: 'the decision', schema: s.checkResponse }, 404: { description: 'no such account' }, 503: { description: 'the usage store is down' } },
      handler: async ({ body, principal }) => {
        requireScope(principal);
        return { status: 200, body: await deps.limits.check(body) };
      },
    }),
  ];
}
