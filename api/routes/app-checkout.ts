import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { LIVE_SUBSCRIPTION_STATUSES } from '../../db/subscription-statuses';
import { defineRoute, type RouteDef } from '../openapi/route';
import { AppError, conflict, notFound } from '../../platform/errors';
import { newId } from '../../platform/ids';
import { getAppPlan } from '../../db/app-plans';
import { getAppProduct } from '../../db/app-products';
import { currentAppSubscription } from '../../db/app-subscriptions';
import { getOrder, isValidOrderCursor, listOrders } from '../../db/orders';
import { appOf, customerOf, requireCharges, requireConnected } from '../app-billing-access';
import { cancelAppSubscription, startAppCheckout } from '../connect-starts';
import * as s from './connect.schemas';

const stripeErrors = {
  409: { description: 'a live subscription exists already, or Connect onboarding is incomplete' },
  503: { description: 'Stripe is not configured or unavailable' },
};
const subscriptionOut = z.object({ subscription: s.appSubscriptionSchema });
const unknown = (what: string, field: string) =>
  new AppError('not_found', `${what} not found`, [{ path: ['body', field], message: `unknown ${what.toLowerCase()}` }]);

/** End users' subscriptions and purchases of an app: Checkout Sessions on its connected account. */
export function appCheckoutRoutes(deps: ApiDeps): RouteDef[] {
  const both = ['app', 'end_user'] as const;
  return [
    defineRoute({
      method: 'post',
      path: '/v1/{app_id}/billing/subscribe',
      idempotent: true,
      summary: 'Start subscription',
      tag: 'app billing',
      auth: [...both],
      params: s.appParams,
      body: s.subscribeBody,
      responses: { 200: { description: 'the Checkout Session URL', schema: s.checkoutResponse }, ...stripeErrors },
      handler: async ({ params, body, principal }) => {
        const app = await appOf(deps, principal, params.app_id);
        const customerId = customerOf(principal, body.customerId, 'body');
        const plan = await getAppPlan(deps.db, app.id, body.planId);
        if (!plan?.active) throw unknown('Plan', 'planId');
        requireCharges(deps, app);
        const current = await currentAppSubscription(deps.db, app.id, customerId);
        if (current && LIVE_SUBSCRIPTION_STATUSES.includes(current.status))
          throw conflict(`Customer ${customerId} already has subscription ${current.id} (${current.status})`);
        const { url, sessionId } = await startAppCheckout(deps, {
          kind: 'subscribe',
          appId: app.id,
          customerId,
          planId: plan.id,
          successUrl: body.successUrl,
          cancelUrl: body.cancelUrl,
        });
        return { status: 200, body: { url, sessionId } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/{app_id}/billing/subscription',
      summary: 'Current subscription',
      tag: 'app billing',
      auth: [...both],
      params: s.appParams,
      query: s.customerQuery,
      responses: { 200: { description: "the customer's current subscription", schema: subscriptionOut } },
      handler: async ({ params, query, principal }) => {
        const app = await appOf(deps, principal, params.app_id);
        const sub = await currentAppSubscription(deps.db, app.id, customerOf(principal, query.customerId, 'query'));
        if (!sub) throw notFound('Subscription');
        return { status: 200, body: { subscription: sub } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/{app_id}/billing/cancel',
      summary: 'Cancel at period end',
      tag: 'app billing',
      auth: [...both],
      params: s.appParams,
      body: s.cancelBody,
      responses: { 200: { description: 'the subscription, set to cancel at period end (idempotent)', schema: subscriptionOut }, ...stripeErrors },
      handler: async ({ params, body, principal }) => {
        const app = await appOf(deps, principal, params.app_id);
        const customerId = customerOf(principal, body.customerId, 'body');
        const sub = await currentAppSubscription(deps.db, app.id, customerId);
        if (!sub || !LIVE_SUBSCRIPTION_STATUSES.includes(sub.status)) throw notFound('Subscription');
        if (!sub.cancelAtPeriodEnd) {
          requireConnected(deps, app);
          await cancelAppSubscription(deps, { appId: app.id, subscriptionId: sub.id, customerId });
        }
        return { status: 200, body: { subscription: { ...sub, cancelAtPeriodEnd: true } } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/{app_id}/billing/purchase',
      idempotent: true,
      summary: 'Purchase a product',
      tag: 'app billing',
      auth: [...both],
      params: s.appParams,
      body: s.purchaseBody,
      responses: { 200: { description: 'the Checkout Session URL and the pending order', schema: s.checkoutResponse }, ...stripeErrors },
      handler: async ({ params, body, principal }) => {
        const app = await appOf(deps, principal, params.app_id);
        const customerId = customerOf(principal, body.customerId, 'body');
        const product = await getAppProduct(deps.db, app.id, body.productId);
        if (!product?.active) throw unknown('Product', 'productId');
        requireCharges(deps, app);
        const result = await startAppCheckout(deps, {
          kind: 'purchase',
          appId: app.id,
          customerId,
          productId: product.id,
          quantity: body.quantity ?? 1,
          orderId: newId('ord'),
          successUrl: body.successUrl,
          cancelUrl: body.cancelUrl,
        });
        return { status: 200, body: result };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/{app_id}/billing/orders',
      summary: 'List orders',
      tag: 'app billing',
      auth: [...both],
      params: s.appParams,
      query: s.ordersQuery,
      responses: {
        200: {
          description: 'orders, newest first; nextCursor for the next page',
          schema: z.object({ orders: z.array(s.orderSchema), nextCursor: z.string().nullable() }),
        },
      },
      handler: async ({ params, query, principal }) => {
        const app = await appOf(deps, principal, params.app_id);
        // An app key without customerId lists the whole app; an end user only ever their own.
        const customerId = principal.kind === 'end_user' || query.customerId ? customerOf(principal, query.customerId, 'query') : undefined;
        if (query.cursor && !isValidOrderCursor(query.cursor))
          throw new AppError('validation_failed', 'Invalid cursor', [{ path: ['query', 'cursor'], message: 'not a cursor this API returned' }]);
        return { status: 200, body: await listOrders(deps.db, { appId: app.id, customerId, cursor: query.cursor, limit: query.limit }) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/{app_id}/billing/orders/{order_id}',
      summary: 'Get order details',
      tag: 'app billing',
      auth: [...both],
      params: s.orderParams,
      query: s.customerQuery,
      responses: { 200: { description: 'the order', schema: z.object({ order: s.orderSchema }) } },
      handler: async ({ params, query, principal }) => {
        const app = await appOf(deps, principal, params.app_id);
        const order = await getOrder(deps.db, app.id, params.order_id);
        // Someone else's order is "not found", exactly like one that does not exist; an app key
        // acting for a customer sees that customer's orders only, as in the list.
        const customerId = principal.kind === 'end_user' || query.customerId ? customerOf(principal, query.customerId, 'query') : undefined;
        if (!order || (customerId !== undefined && order.customerId !== customerId)) throw notFound('Order');
        return { status: 200, body: { order } };
      },
    }),
  ];
}
