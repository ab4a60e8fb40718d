import type { ApiDeps } from '../deps';
import { LIVE_SUBSCRIPTION_STATUSES } from '../../db/subscription-statuses';
import { defineRoute, type RouteDef } from '../openapi/route';
import { AppError, conflict, notFound, unavailable } from '../../platform/errors';
import { getAccount } from '../../db/accounts';
import { getPlan } from '../../db/plans';
import { currentSubscription } from '../../db/platform-subscriptions';
import { fromZod } from '../middleware/errors';
import { requireAccount } from '../tenancy';
import { endedCheckout, openBillingPortal, startPlatformCheckout } from '../platform-billing-starts';
import { createWebhookIntake } from '../webhooks/intake';
import { stripeEventWorkflow, PLATFORM_EVENT_TYPES } from '../../workflows/platform-event';
import * as s from './platform-billing.schemas';

const STRIPE_OFF = 'Stripe is not configured (STRIPE_SECRET_KEY is unset): platform billing is unavailable';

/** Upgrade checkout, billing portal and the platform's Stripe webhook. */
export function platformBillingRoutes(deps: ApiDeps): RouteDef[] {
  const intake = createWebhookIntake(deps, {
    secretName: 'STRIPE_WEBHOOK_SECRET',
    secret: () => deps.config.STRIPE_WEBHOOK_SECRET,
    handledTypes: PLATFORM_EVENT_TYPES,
    workflow: stripeEventWorkflow,
  });
  return [
    defineRoute({
      method: 'post',
      path: '/dashboard/billing/checkout',
      idempotent: true,
      summary: 'Start upgrade checkout (Idempotency-Key header optional)',
      tag: 'dashboard',
      auth: ['account'],
      body: s.checkoutBody,
      responses: {
        200: { description: 'the Checkout Session URL (or the plan changed in place)', schema: s.checkoutResponse },
        404: { description: 'no such plan' },
        409: { description: 'the plan is free, not sold through Stripe, or already subscribed' },
        422: { description: 'Stripe refused the checkout' },
        503: { description: 'Stripe is not configured or unavailable' },
      },
      handler: async ({ body, principal, ctx }) => {
        const accountId = requireAccount(principal);
        const key = s.idempotencyKey.safeParse(ctx.get('idempotency-key') || undefined);
        if (!key.success) throw fromZod(key.error, 'header.idempotency-key');
        if (!deps.config.STRIPE_SECRET_KEY) throw unavailable(STRIPE_OFF);
        const plan = await getPlan(deps.db, body.planId);
        if (!plan) throw new AppError('not_found', `Plan ${body.planId} not found`, [{ path: ['body', 'planId'], message: 'unknown plan' }]);
        if (plan.isDefault || plan.amountCents === 0)
          throw conflict(`Plan ${plan.id} is free and needs no checkout; to leave a paid plan, cancel in the billing portal`);
        if (!plan.stripePriceId)
          throw conflict(`Plan ${plan.id} is not sold through Stripe yet: an admin sets its stripePriceId with PUT /admin/plans/${plan.id}`);
        const request = { accountId, ...body, idempotencyKey: key.data };
        const replay = await endedCheckout(deps, request);
        if (replay) return { status: 200, body: replay };
        const sub = await currentSubscription(deps.db, accountId);
        if (sub && sub.planId === plan.id && LIVE_SUBSCRIPTION_STATUSES.includes(sub.status))
          throw conflict(`The account is already subscribed to plan ${plan.id}`);
        return { status: 200, body: await startPlatformCheckout(deps, request) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/dashboard/billing/portal',
      summary: 'Open billing portal',
      tag: 'dashboard',
      auth: ['account'],
      body: s.portalBody,
      responses: {
        200: { description: 'the Billing Portal session URL', schema: s.portalResponse },
        409: { description: 'the account has no Stripe customer yet' },
        422: { description: 'Stripe refused the portal session' },
        503: { description: 'Stripe is not configured or unavailable' },
      },
      handler: async ({ body, principal }) => {
        const account = await getAccount(deps.db, requireAccount(principal));
        if (!account) throw notFound('Account');
        if (!deps.config.STRIPE_SECRET_KEY) throw unavailable(STRIPE_OFF);
        const noCustomer = conflict(
          'This account has no Stripe customer yet, so there is no billing portal; upgrade through POST /dashboard/billing/checkout first',
        );
        if (!account.stripeCustomerId) throw noCustomer;
        const { url } = await openBillingPortal(deps, { accountId: account.id, customerId: account.stripeCustomerId, returnUrl: body.returnUrl });
        if (!url) throw noCustomer;
        return { status: 200, body: { url } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/webhooks/stripe',
      summary: 'Stripe events of the platform account (secret STRIPE_WEBHOOK_SECRET)',
      tag: 'webhooks',
      auth: [],
      rawBody: true,
      responses: {
        200: { description: 'verified and recorded; processed asynchronously', schema: s.webhookResponse },
        503: { description: 'STRIPE_WEBHOOK_SECRET is unset, or Temporal is down (Stripe retries)' },
      },
      handler: async ({ body, ctx }) => intake(body as Buffer, ctx.get('stripe-signature') || undefined),
    }),
  ];
}
