import type { ApiDeps } from '../deps';
import { defineRoute, type RouteDef } from '../openapi/route';
import { AppError } from '../../platform/errors';
import { recordLimitCheck, recordUsageEvents } from '../../platform/metrics';
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
      method: 'post',
      path: '/v1/usage/events',
      summary: 'Ingest up to 10,000 usage events, exactly once per (accountId, id)',
      tag,
      auth: ['service'],
      budget: 'usage',
      body: s.ingestBody,
      documentedBody: s.ingestBodyDoc,
      responses: {
        200: { description: 'stored durably; per-event outcome', schema: s.ingestResponse },
        503: { description: 'the usage store is down; retry the same batch' },
      },
      handler: async ({ body, principal }) => {
        requireScope(principal);
        const result = await deps.ingestor.ingest(body.events);
        recordUsageEvents(result);
        return { status: 200, body: result };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/usage/check',
      summary: 'May this account use `amount` more of a meter? Reserves it when allowed',
      tag,
      auth: ['service'],
      budget: 'usage',
      body: s.checkBody,
      limitedAccount: (b) => b.accountId,
      responses: {
        200: { description: 'the decision', schema: s.checkResponse },
        404: { description: 'no such account' },
        503: { description: 'the usage store is down' },
      },
      handler: async ({ body, principal }) => {
        requireScope(principal);
        const decision = await deps.limits.check(body);
        recordLimitCheck(decision.allowed);
        return { status: 200, body: decision };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/usage/reservations/{reservationId}/commit',
      summary: 'Settle a reservation at the amount actually used; it counts until its usage event (id = reservationId) arrives',
      tag,
      auth: ['service'],
      params: s.reservationParams,
      body: s.commitBody,
      responses: {
        200: { description: 'committed', schema: s.reservationResponse },
        404: { description: 'no open reservation with this id' },
        409: { description: 'amount is more than reserved' },
      },
      handler: async ({ params, body, principal }) => {
        requireScope(principal);
        return { status: 200, body: await deps.limits.settle({ reservationId: params.reservationId, action: 'commit', amount: body.amount }) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/usage/reservations/{reservationId}/release',
      summary: "Free a reservation's units now",
      tag,
      auth: ['service'],
      params: s.reservationParams,
      responses: { 200: { description: 'released', schema: s.reservationResponse }, 404: { description: 'no open reservation with this id' } },
      handler: async ({ params, principal }) => {
        requireScope(principal);
        return { status: 200, body: await deps.limits.settle({ reservationId: params.reservationId, action: 'release' }) };
      },
    }),
  ];
}
