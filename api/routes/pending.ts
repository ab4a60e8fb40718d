import type { RouteDef } from '../openapi/route';
import { defineRoute } from '../openapi/route';
import { AppError } from '../../platform/errors';
import type { PrincipalKind } from '../middleware/principal';
import { requireApp } from '../tenancy';
import * as s from './pending.schemas';

const notYet = (issue: string) => new AppError('not_implemented', `Not implemented yet: lands with ${issue}`);
const CONNECT = 'app monetisation through Stripe Connect';

type Def = Pick<RouteDef, 'method' | 'path' | 'summary' | 'params' | 'query' | 'body'> & { auth: PrincipalKind[] };

const app: PrincipalKind[] = ['app'];
const appOrUser: PrincipalKind[] = ['app', 'end_user'];

const connectRoutes: Def[] = [
  { method: 'post', path: '/v1/{app_id}/billing/connect/onboard', summary: 'Start Connect onboarding', auth: app, params: s.appParams, body: s.onboardBody },
  { method: 'get', path: '/v1/{app_id}/billing/connect/status', summary: 'Check onboarding status', auth: app, params: s.appParams },
  { method: 'post', path: '/v1/{app_id}/billing/plans', summary: 'Create a plan', auth: app, params: s.appParams, body: s.createPlanBody },
  { method: 'get', path: '/v1/{app_id}/billing/plans', summary: 'List plans', auth: appOrUser, params: s.appParams },
  { method: 'put', path: '/v1/{app_id}/billing/plans/{plan_id}', summary: 'Update a plan', auth: app, params: s.planParams, body: s.updatePlanBody },
  { method: 'post', path: '/v1/{app_id}/billing/products', summary: 'Create a product', auth: app, params: s.appParams, body: s.createProductBody },
  { method: 'get', path: '/v1/{app_id}/billing/products', summary: 'List products', auth: appOrUser, params: s.appParams },
  { method: 'put', path: '/v1/{app_id}/billing/products/{product_id}', summary: 'Update a product', auth: app, params: s.productParams, body: s.updateProductBody },
  { method: 'post', path: '/v1/{app_id}/billing/subscribe', summary: 'Start subscription', auth: appOrUser, params: s.appParams, body: s.subscribeBody },
  { method: 'get', path: '/v1/{app_id}/billing/subscription', summary: 'Current subscription', auth: appOrUser, params: s.appParams, query: s.customerQuery },
  { method: 'post', path: '/v1/{app_id}/billing/cancel', summary: 'Cancel at period end', auth: appOrUser, params: s.appParams, body: s.cancelBody },
  { method: 'post', path: '/v1/{app_id}/billing/purchase', summary: 'Purchase a product', auth: appOrUser, params: s.appParams, body: s.purchaseBody },
  { method: 'get', path: '/v1/{app_id}/billing/orders', summary: 'List orders', auth: appOrUser, params: s.appParams, query: s.ordersQuery },
  { method: 'get', path: '/v1/{app_id}/billing/orders/{order_id}', summary: 'Get order details', auth: appOrUser, params: s.orderParams, query: s.customerQuery },
];

/**
 * Seed routes that authenticate, check tenancy and validate today, then answer 501 until their
 * issue lands. Declared through the same registry, so /openapi.json already shows them exactly.
 */
export function pendingRoutes(): RouteDef[] {
  const responses = { 501: { description: 'not implemented yet' } };
  return [
    ...connectRoutes.map((d) => defineRoute({
      ...d, tag: 'app billing', responses,
      handler: async ({ params, principal }) => { requireApp(principal, (params as { app_id: string }).app_id); throw notYet(CONNECT); },
    })),
    defineRoute({
      method: 'post', path: '/webhooks/stripe/connect', summary: 'Stripe Connect events (secret STRIPE_CONNECT_WEBHOOK_SECRET)', tag: 'webhooks', auth: [], rawBody: true, responses,
      handler: async () => { throw notYet(CONNECT); },
    }),
  ];
}
