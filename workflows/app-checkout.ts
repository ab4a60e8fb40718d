import { proxyLocalActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { StripeObjectId } from './search-attributes';
import { appCustomerCheckoutOwner, checkoutSlot } from './checkout-slot';

const acts = proxyLocalActivities<Activities>({
  startToCloseTimeout: '20 seconds',
  retry: { maximumAttempts: 5, initialInterval: '500 milliseconds', backoffCoefficient: 2 },
});

interface Common {
  appId: string;
  customerId: string;
  successUrl: string;
  cancelUrl: string;
}
export type AppCheckoutInput =
  (Common & { kind: 'subscribe'; planId: string }) | (Common & { kind: 'purchase'; productId: string; quantity: number; orderId: string });

export interface AppCheckoutResult {
  url: string;
  sessionId: string;
  orderId?: string;
}

/**
 * One Checkout Session on the app's connected account (id `app-checkout:<appId>:<hash of the
 * request>`): the same request sent twice while the first runs attaches to it and gets the same
 * session (and order). What happens after is told by the Connect webhooks, not by this run.
 */
export async function appCheckoutWorkflow(input: AppCheckoutInput): Promise<AppCheckoutResult> {
  const info = workflowInfo();
  const key = `${info.workflowId}:${info.firstExecutionRunId}`;
  const common = { appId: input.appId, customerId: input.customerId, successUrl: input.successUrl, cancelUrl: input.cancelUrl, key };
  let session: { sessionId: string; url: string };
  if (input.kind === 'subscribe') {
    // One subscription checkout in flight per customer; purchases of products may run side by side.
    const slot = checkoutSlot(acts, appCustomerCheckoutOwner(input.appId, input.customerId));
    await slot.take();
    const created = await acts.createAppSubscriptionCheckout({ ...common, planId: input.planId });
    await slot.keep(created.sessionId, created.stripeAccount);
    session = created;
  } else {
    session = await acts.createAppPurchaseCheckout({ ...common, productId: input.productId, quantity: input.quantity, orderId: input.orderId });
  }
  upsertSearchAttributes([{ key: StripeObjectId, value: session.sessionId }]);
  return { url: session.url, sessionId: session.sessionId, ...(input.kind === 'purchase' && { orderId: input.orderId }) };
}

/** Cancel at period end (id `app-cancel:<subscription id>`): Stripe first, then our row. */
export async function appCancelWorkflow(input: { appId: string; subscriptionId: string }): Promise<void> {
  const info = workflowInfo();
  await acts.cancelAppSubscription({ ...input, key: `${info.workflowId}:${info.firstExecutionRunId}` });
}
