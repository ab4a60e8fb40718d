import { getExternalWorkflowHandle, log, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities, PlatformBillingEvent } from '../activities';
import { AccountId, StripeObjectId } from './search-attributes';
import { checkoutCompletedSignal } from './messages';

const { readPlatformEvent, markStripeEvent, forwardToSubscriptionWorkflow } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, initialInterval: '1 second', backoffCoefficient: 2 },
});

type Routed = PlatformBillingEvent & { accountId: string };
type Handler = (event: Routed) => Promise<'forwarded' | 'ignored'>;

const toSubscription: Handler = async (event) => {
  if (!event.subscriptionId) return 'ignored';
  await forwardToSubscriptionWorkflow({ event: { ...event, subscriptionId: event.subscriptionId } });
  return 'forwarded';
};

const checkoutCompleted: Handler = async (event) => {
  const workflowId = event.checkout?.workflowId;
  if (workflowId) {
    try {
      await getExternalWorkflowHandle(workflowId).signal(checkoutCompletedSignal, { eventId: event.eventId, subscriptionId: event.subscriptionId });
    } catch (err) {
      // The checkout already expired or finished: the subscription below still gets the plan.
      log.warn('checkout workflow not signalled', { workflowId, error: String(err) });
    }
  }
  return toSubscription(event);
};

/**
 * Event type → handler (lago style). Everything of a subscription funnels into its one
 * workflow, which orders and applies it. The API accepts only these types; others are
 * recorded and acknowledged without a workflow.
 */
const PLATFORM_HANDLERS: Record<string, Handler> = {
  'checkout.session.completed': checkoutCompleted,
  'customer.subscription.created': toSubscription,
  'customer.subscription.updated': toSubscription,
  'customer.subscription.deleted': toSubscription,
  'invoice.payment_succeeded': toSubscription,
  'invoice.payment_failed': toSubscription,
};

export const PLATFORM_EVENT_TYPES: readonly string[] = Object.keys(PLATFORM_HANDLERS);

/**
 * One run per Stripe event (id `stripe-event:<event id>`, so a redelivery cannot start a second
 * one). Reads the stored, verified event, resolves its account and dispatches it.
 */
export async function stripeEventWorkflow(input: { eventId: string }): Promise<{ outcome: string }> {
  const event = await readPlatformEvent({ eventId: input.eventId });
  const handler = event && PLATFORM_HANDLERS[event.type];
  if (!event || !handler) {
    await markStripeEvent({ eventId: input.eventId, outcome: 'ignored' });
    return { outcome: 'ignored' };
  }
  if (event.objectId) upsertSearchAttributes([{ key: StripeObjectId, value: event.objectId }]);
  if (!event.accountId) {
    // Never guess: an event we cannot tie to an account is kept for an operator, not applied.
    await markStripeEvent({ eventId: input.eventId, outcome: 'unknown_account' });
    return { outcome: 'unknown_account' };
  }
  upsertSearchAttributes([{ key: AccountId, value: event.accountId }]);
  const outcome = await handler({ ...event, accountId: event.accountId });
  if (outcome === 'ignored') await markStripeEvent({ eventId: input.eventId, outcome });
  return { outcome };
}
