import { getExternalWorkflowHandle, log, proxyActivities } from '@temporalio/workflow';
import type { Activities, PlatformBillingEvent } from '../activities';
import { AccountId, StripeObjectId } from './search-attributes';
import { checkoutCompletedSignal, subscriptionEventSignal } from './messages';
import { platformSubscriptionWorkflow, platformSubscriptionWorkflowId } from './platform-subscription';
import { dispatchStripeEvent, signalWithStart, type EventHandlers } from './stripe-event-routing';

const { readPlatformEvent, markStripeEvent, forwardToSubscriptionWorkflow } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, initialInterval: '1 second', backoffCoefficient: 2 },
});

type Routed = PlatformBillingEvent & { accountId: string };

async function toSubscription(event: Routed) {
  if (!event.subscriptionId) return 'ignored' as const;
  const { subscriptionId, accountId } = event;
  await forwardToSubscriptionWorkflow(
    signalWithStart(platformSubscriptionWorkflow, subscriptionEventSignal, {
      workflowId: platformSubscriptionWorkflowId(subscriptionId),
      args: [{ subscriptionId, accountId }],
      signalArgs: [{ ...event, subscriptionId }],
      searchAttributes: [
        { key: AccountId, value: accountId },
        { key: StripeObjectId, value: subscriptionId },
      ],
    }),
  );
  return 'forwarded' as const;
}

async function checkoutCompleted(event: Routed) {
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
}

/** Everything of a subscription funnels into its one workflow, which orders and applies it. */
const PLATFORM_HANDLERS: EventHandlers<Routed> = {
  'checkout.session.completed': checkoutCompleted,
  'customer.subscription.created': toSubscription,
  'customer.subscription.updated': toSubscription,
  'customer.subscription.deleted': toSubscription,
  'invoice.payment_succeeded': toSubscription,
  'invoice.payment_failed': toSubscription,
};

export const PLATFORM_EVENT_TYPES: readonly string[] = Object.keys(PLATFORM_HANDLERS);

/**
 * One run per event of the platform's own Stripe account (id `stripe-event:<event id>`, so a
 * redelivery cannot start a second one). Reads the stored, verified event, resolves its account
 * and dispatches it. The type name predates the Connect half and stays: runs of it exist.
 */
export async function stripeEventWorkflow(input: { eventId: string }): Promise<{ outcome: string }> {
  return dispatchStripeEvent({
    event: await readPlatformEvent({ eventId: input.eventId }),
    handlers: PLATFORM_HANDLERS,
    tenantKey: AccountId,
    tenantOf: (event) => event.accountId,
    route: (event, accountId): Routed => ({ ...event, accountId }),
    mark: (outcome) => markStripeEvent({ eventId: input.eventId, outcome }),
  });
}
