import type { ApiDeps } from '../deps';
import { defineRoute, type RouteDef } from '../openapi/route';
import { unavailable } from '../../platform/errors';
import { appOf } from '../app-billing-access';
import { onboardApp, readConnectStatus } from '../connect-starts';
import { createWebhookIntake } from '../webhooks/intake';
import { connectEventWorkflow, CONNECT_EVENT_TYPES } from '../../workflows/connect-event';
import * as s from './connect.schemas';
import { webhookResponse } from './platform-billing.schemas';

const STRIPE_OFF = 'Stripe is not configured (STRIPE_SECRET_KEY is unset): Connect onboarding is unavailable';

/** Connect onboarding of an app, and the webhook of events on connected accounts. */
export function connectRoutes(deps: ApiDeps): RouteDef[] {
  const intake = createWebhookIntake(deps, {
    secretName: 'STRIPE_CONNECT_WEBHOOK_SECRET',
    secret: () => deps.config.STRIPE_CONNECT_WEBHOOK_SECRET,
    handledTypes: CONNECT_EVENT_TYPES,
    workflow: connectEventWorkflow,
  });
  return [
    defineRoute({
      method: 'post',
      path: '/v1/{app_id}/billing/connect/onboard',
      summary: 'Start Connect onboarding',
      tag: 'app billing',
      auth: ['app'],
      params: s.appParams,
      body: s.onboardBody,
      responses: {
        200: { description: "a fresh Account Link for the app's connected account", schema: s.onboardResponse },
        503: { description: 'Stripe is not configured or unavailable' },
      },
      handler: async ({ params, body, principal }) => {
        const app = await appOf(deps, principal, params.app_id);
        if (!deps.config.STRIPE_SECRET_KEY) throw unavailable(STRIPE_OFF);
        return { status: 200, body: await onboardApp(deps, app.id, body) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/{app_id}/billing/connect/status',
      summary: 'Check onboarding status',
      tag: 'app billing',
      auth: ['app'],
      params: s.appParams,
      responses: { 200: { description: 'as Stripe reports the connected account now', schema: s.statusResponse } },
      handler: async ({ params, principal }) => {
        const app = await appOf(deps, principal, params.app_id);
        const idle = { stripeAccountId: null, chargesEnabled: false, payoutsEnabled: false, detailsSubmitted: false, currentlyDue: [] as string[] };
        if (app.stripeAccountId && !deps.config.STRIPE_SECRET_KEY) throw unavailable(STRIPE_OFF);
        const st = app.stripeAccountId ? await readConnectStatus(deps, app.id) : idle;
        return {
          status: 200,
          body: {
            onboardingStarted: Boolean(st.stripeAccountId),
            stripeAccountId: st.stripeAccountId,
            charges_enabled: st.chargesEnabled,
            payouts_enabled: st.payoutsEnabled,
            details_submitted: st.detailsSubmitted,
            requirements: { currently_due: st.currentlyDue },
          },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/webhooks/stripe/connect',
      summary: 'Stripe Connect events (secret STRIPE_CONNECT_WEBHOOK_SECRET)',
      tag: 'webhooks',
      auth: [],
      rawBody: true,
      responses: {
        200: { description: 'verified and recorded; processed asynchronously', schema: webhookResponse },
        503: { description: 'STRIPE_CONNECT_WEBHOOK_SECRET is unset, or Temporal is down (Stripe retries)' },
      },
      handler: async ({ body, ctx }) => intake(body as Buffer, ctx.get('stripe-signature') || undefined),
    }),
  ];
}
